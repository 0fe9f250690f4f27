"""Discovery and keys: OpenID Connect Discovery 1.0, RFC 8414 metadata, the provider's signing keys
and their JWK Set (RFC 7517)."""
