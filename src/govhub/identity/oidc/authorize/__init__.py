"""The authorization journey: OpenID Connect Core §3.1.2 authorization requests, RFC 9126 pushed
authorization requests, RFC 7636 PKCE checks and the consent decision."""
