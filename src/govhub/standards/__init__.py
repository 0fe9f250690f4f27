"""The central standards, automated conformance checks, certification of services.

This block has not arrived yet; see `govhub.blocks` for how it will be wired in.
"""
