"""The account pages: sign up, sign in (and step-up), sign out, password reset and the account page."""
