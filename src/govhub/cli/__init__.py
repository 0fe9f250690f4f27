"""The `govhub` command: serve the platform, manage the database, load demo data."""
