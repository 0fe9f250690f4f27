"""The person's consent (OpenID Connect Core §11 offline access, data use): recorded, listed and withdrawn."""
