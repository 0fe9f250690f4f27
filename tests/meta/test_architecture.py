"""Guards on the architecture: one migration head, models that match migrations, a committed OpenAPI
snapshot, an access declaration on every route, and dependencies that stay on the event loop."""

from __future__ import annotations

import inspect
import json
import os
import warnings
from pathlib import Path
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from fastapi import FastAPI
from fastapi.routing import APIRoute
from sqlalchemy import text

from govhub.blocks import import_all_models
from govhub.db import Base, create_sync_engine, managed_by_migrations, migration_heads
from govhub.kit.access import ACCESS_DEPENDENCIES
from govhub.kit.routing import ApiRoute
from govhub.registries.models import FIELD_INDEX_NAME, SEARCH_INDEX_NAME
from govhub.registries.repository import field_index_name

SNAPSHOT = Path(__file__).resolve().parent.parent / "snapshots" / "openapi.json"


def test_there_is_a_single_migration_head() -> None:
    assert len(migration_heads()) == 1


def test_models_match_migrations(database_url: str) -> None:
    """The worker database was built by `alembic upgrade head`; autogenerate must find nothing to add,
    nor offer to drop the field indexes registers make at run time."""
    import_all_models()
    engine = create_sync_engine(database_url)
    try:
        with engine.connect() as connection, connection.begin() as transaction:
            index = field_index_name(1, "phase", unique=False)
            connection.execute(
                text(f"CREATE INDEX {index} ON registry_records (record_key) WHERE register_id = 1")
            )
            options = {"include_name": managed_by_migrations}
            context = MigrationContext.configure(connection, opts=options)
            with warnings.catch_warnings():
                # SQLite's reflection skips expression indexes (field indexes the demo data committed to
                # this database), saying so; they are not the migrations' business either way.
                warnings.filterwarnings("ignore", "Skipped unsupported reflection of expression-based index")
                differences = compare_metadata(context, Base.metadata)
                unfiltered = compare_metadata(MigrationContext.configure(connection), Base.metadata)
            transaction.rollback()
    finally:
        engine.dispose()
    assert differences == []
    # Without the hook, autogenerate would drop the field indexes (the one made here, and any the demo
    # data committed to this database) and the text index (an FTS5 table and its shadow tables on
    # SQLite, a GIN index on PostgreSQL), and nothing else.
    kinds = {"remove_index", "remove_table"}
    dropped = {difference[1].name for difference in unfiltered if difference[0] in kinds}
    assert index in dropped
    assert len(dropped) == len(unfiltered)
    search_objects = {name for name in dropped if SEARCH_INDEX_NAME.match(name)}
    assert {"registry_records_search", "ix_registry_records_search"} & search_objects
    assert all(FIELD_INDEX_NAME.match(name) for name in dropped - search_objects)


def test_openapi_matches_the_committed_snapshot(app: FastAPI) -> None:
    """Any change to the public API shows up in review as a change to tests/snapshots/openapi.json.
    Regenerate with `make openapi-snapshot`."""
    document: dict[str, Any] = app.openapi()
    rendered = json.dumps(document, indent=2, sort_keys=True) + "\n"
    if os.environ.get("GOVHUB_TEST_UPDATE_SNAPSHOTS") == "1":
        SNAPSHOT.write_text(rendered)
    assert SNAPSHOT.read_text() == rendered


def _dependency_calls(route: APIRoute) -> set[object]:
    calls: set[object] = set()
    pending = list(route.dependant.dependencies)
    while pending:
        dependant = pending.pop()
        calls.add(dependant.call)
        pending.extend(dependant.dependencies)
    return calls


def test_every_route_declares_who_may_call_it(app: FastAPI) -> None:
    undeclared = [
        f"{sorted(route.methods or ())} {route.path}"
        for route in app.routes
        if isinstance(route, APIRoute)
        and route.path != "/openapi.json"
        and not (_dependency_calls(route) & ACCESS_DEPENDENCIES)
    ]
    assert undeclared == []


def test_every_dependency_runs_on_the_event_loop(app: FastAPI) -> None:
    """FastAPI runs a plain `def` dependency in its thread pool: a thread hop per dependency per request,
    for functions that do no blocking work. Every dependency is `async def`."""
    in_thread_pool = sorted(
        {
            getattr(call, "__qualname__", repr(call))
            for route in app.routes
            if isinstance(route, APIRoute)
            for call in _dependency_calls(route)
            if call is not None
            and not inspect.iscoroutinefunction(call)
            and not inspect.isasyncgenfunction(call)
        }
    )
    assert in_thread_pool == []


def test_every_api_route_checks_its_content_type(app: FastAPI) -> None:
    plain = [
        route.path for route in app.routes if isinstance(route, APIRoute) and not isinstance(route, ApiRoute)
    ]
    assert plain == []
