"""The gateway between members: routing, authorization, consent check, message log.

This block has not arrived yet; see `govhub.blocks` for how it will be wired in.
"""
