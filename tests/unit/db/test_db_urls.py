from __future__ import annotations

import pytest

from govhub.db import UnsupportedDatabase, async_url, sync_url


@pytest.mark.parametrize(
    ("given", "synchronous", "asynchronous"),
    [
        ("sqlite:///var/govhub.db", "sqlite:///var/govhub.db", "sqlite+aiosqlite:///var/govhub.db"),
        ("sqlite+aiosqlite:///x.db", "sqlite:///x.db", "sqlite+aiosqlite:///x.db"),
        ("postgresql://u@h/db", "postgresql+psycopg://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgres://u@h/db", "postgresql+psycopg://u@h/db", "postgresql+psycopg://u@h/db"),
    ],
)
def test_one_url_serves_both_drivers(given: str, synchronous: str, asynchronous: str) -> None:
    assert sync_url(given).render_as_string() == synchronous
    assert async_url(given).render_as_string() == asynchronous


def test_other_databases_are_refused_clearly() -> None:
    with pytest.raises(UnsupportedDatabase, match="SQLite or PostgreSQL"):
        sync_url("mysql://root@localhost/govhub")
