"""Organisations and the people who represent them."""
