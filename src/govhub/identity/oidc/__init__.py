"""The OpenID Connect provider: relying parties, signing keys, authorization, tokens and logout."""
