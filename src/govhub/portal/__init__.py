"""The citizen's and business's home: services, consents, data use, messages, payments.

This block has not arrived yet; see `govhub.blocks` for how it will be wired in.
"""
