"""Logout: OpenID Connect RP-Initiated Logout 1.0 and Back-Channel Logout 1.0 (delivery and timeouts)."""
