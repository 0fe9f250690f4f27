"""Accounts: sign up, sign in (password, authenticator app, recovery codes), sessions, password reset and the
account page."""
