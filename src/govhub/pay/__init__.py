"""Payments to government behind a GOV.UK Pay v1 compatible API.

This block has not arrived yet; see `govhub.blocks` for how it will be wired in.
"""
