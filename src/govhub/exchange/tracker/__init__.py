"""The data tracker: who used a person's data, for the person (`api` with an access token, `pages` with
their session), merged from the message log and the register reads about them (`service`)."""
