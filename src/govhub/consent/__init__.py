"""Data agreements, consent records and their revisions, verification.

This block has not arrived yet; see `govhub.blocks` for how it will be wired in.
"""
