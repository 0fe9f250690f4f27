"""Security keys (WebAuthn): registering a key, and signing in with one as the second factor."""
