"""Keys for tests."""

from __future__ import annotations

from pydantic import SecretStr

#: The signed-note test key from golang.org/x/mod/sumdb/note: well formed, public, never a real secret.
TEST_LEDGER_KEY = SecretStr("PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz")
