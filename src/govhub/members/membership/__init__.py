"""Membership: members and subsystems once admitted, their status, keys and who may act for them."""
