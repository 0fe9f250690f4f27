"""Authoritative registers: schema, records, history, proofs, open-data export.

This block has not arrived yet; see `govhub.blocks` for how it will be wired in.
"""
