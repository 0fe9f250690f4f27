"""The Office of Digital Effectiveness: KPIs per service, public dashboard, open data.

This block has not arrived yet; see `govhub.blocks` for how it will be wired in.
"""
