"""Citizen and business accounts, authentication, levels of assurance, OpenID Connect provider.

This block has not arrived yet; see `govhub.blocks` for how it will be wired in.
"""
