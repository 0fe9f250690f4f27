"""Relying parties: registration, the cache of clients and their keys, and the admin API."""
