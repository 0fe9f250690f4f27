"""The app node's typed state (`govhub.node`): built by `create_app`, reached as `request.app.state`, the
database given to `create_app` used as is, and the blocks' start and stop hooks run by the lifespan in
order (stopped in the reverse one, the database last)."""

from __future__ import annotations

from typing import Any, cast

import pytest

from govhub.app import create_app
from govhub.config import Settings
from govhub.db import Database
from govhub.node import NODE_HOOKS, NodeHooks, NodeState, node_of
from tests.conftest import make_settings


def test_create_app_builds_one_typed_node_state(settings: Settings) -> None:
    app = create_app(settings)
    node = app.state
    assert isinstance(node, NodeState)
    assert node.settings is settings
    assert isinstance(node.database, Database)
    assert node.migration_heads
    assert (node.gateway_forwarder, node.gateway_log_writer, node.oidc_provider, node.ledger_keyring) == (
        None,
        None,
        None,
        None,
    )


async def test_the_database_given_to_create_app_is_the_one_the_app_uses(settings: Settings) -> None:
    database = Database(settings)
    try:
        app = create_app(settings, database=database)
        assert app.state.database is database

        class _Request:
            def __init__(self) -> None:
                self.app = app

        assert node_of(cast("Any", _Request())).database is database
    finally:
        await database.dispose()


def test_the_hooks_start_the_mailbox_first_and_stop_the_identity_block_first() -> None:
    assert [hooks.block for hooks in NODE_HOOKS] == ["dev_mailbox", "exchange", "registries", "identity"]


class _Closes:
    def __init__(self, name: str, calls: list[str]) -> None:
        self._name, self._calls = name, calls

    async def aclose(self) -> None:
        self._calls.append(f"{self._name}.aclose")

    async def stop(self) -> None:
        self._calls.append(f"{self._name}.stop")

    async def dispose(self) -> None:
        self._calls.append(f"{self._name}.dispose")


async def test_stop_drains_the_log_writer_then_closes_the_forwarder_then_the_database(
    settings: Settings,
) -> None:
    calls: list[str] = []
    app = create_app(settings)
    node = cast("NodeState", app.state)
    real_database = node.database
    try:
        node.logout_delivery = cast("Any", _Closes("logout_delivery", calls))
        node.gateway_log_writer = cast("Any", _Closes("log_writer", calls))
        node.gateway_forwarder = cast("Any", _Closes("forwarder", calls))
        node.registries_writer = cast("Any", _Closes("registries_writer", calls))
        node.database = cast("Any", _Closes("database", calls))
        await node.stop()
    finally:
        await real_database.dispose()
    assert calls == [
        "logout_delivery.stop",
        "registries_writer.aclose",
        "log_writer.aclose",
        "forwarder.aclose",
        "database.dispose",
    ]


async def test_the_lifespan_starts_and_stops_the_node(
    migrated_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []

    async def record(name: str, node: NodeState) -> None:
        assert isinstance(node, NodeState)
        calls.append(name)

    async def start(node: NodeState) -> None:
        await record("start", node)

    async def stop(node: NodeState) -> None:
        await record("stop", node)

    monkeypatch.setattr("govhub.node.NODE_HOOKS", (NodeHooks("test", start=start, stop=stop),))
    app = create_app(make_settings(migrated_url))
    async with app.router.lifespan_context(app):
        assert calls == ["start"]
    assert calls == ["start", "stop"]
