"""Messages to citizens (email, SMS, letter) behind a GOV.UK Notify v2 compatible API.

This block has not arrived yet; see `govhub.blocks` for how it will be wired in.
"""
