"""Members' view of their exchange traffic."""
