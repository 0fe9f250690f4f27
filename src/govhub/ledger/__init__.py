"""RFC 9162 verifiable logs: append, signed checkpoints, inclusion and consistency proofs.

This block has not arrived yet; see `govhub.blocks` for how it will be wired in.
"""
