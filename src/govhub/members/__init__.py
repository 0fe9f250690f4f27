"""Who is plugged in: organisations, subsystems, onboarding, credentials, services, access rights.

This block has not arrived yet; see `govhub.blocks` for how it will be wired in.
"""
