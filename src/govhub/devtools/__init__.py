"""Pages for developers, mounted outside production only: the development mailbox."""
