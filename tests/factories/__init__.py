"""Test data, one module per block: plain typed functions (`create_citizen(session, settings, ...)`) that
make what a test needs through the block's own services, as the application would, never with raw SQL.
They flush but never commit: the caller's unit of work (a test's rolled-back transaction, or a committed
one for a live server) decides. Defaults make a valid thing; a test names only what it is about."""
