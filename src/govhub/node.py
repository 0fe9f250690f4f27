"""The app node's state: what one running app holds for as long as it serves, typed, in one place.

`create_app` builds one `NodeState` and makes it the app's `app.state`, so a handler reaches it as
`request.app.state` (or, typed, `node_of(request)`). What every node has from the start (settings, the
database, the page renderer, the metrics, the outbound-address guard) is made in `create_app`. What a block
makes for itself on first use (the gateway's forwarder and log writer, the OpenID provider, the ledger's
keyring...) has a typed field here, None until the block's accessor makes it. What a block runs in the
background is started and stopped by its hooks (`NODE_HOOKS`), run by the app's lifespan: started in order,
stopped in the reverse order, then the database is disposed.

Blocks' types are imported for type checking only: this module is imported by blocks' accessors, and must
not import them back.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

from starlette.requests import HTTPConnection

from govhub.config import Environment, Settings
from govhub.db import Database
from govhub.kit.metrics import HttpMetrics
from govhub.kit.outbound import OutboundGuard
from govhub.kit.templating import Pages

if TYPE_CHECKING:
    from govhub.exchange.gateway.forwarding import Forwarder
    from govhub.exchange.gateway.gateway import Limits
    from govhub.exchange.gateway.provider_guard import SeenMessages
    from govhub.exchange.message_log.log_writer import LogWriter
    from govhub.identity.oidc.logout.delivery import BackgroundDelivery
    from govhub.identity.oidc.provider import Provider
    from govhub.kit.dev_mailbox import DevMailbox
    from govhub.ledger.keys import Keyring
    from govhub.members import NetworkView
    from govhub.registries.writes import RegisterWriter

logger = logging.getLogger("govhub.app")


@dataclass(eq=False)
class NodeState:
    """One app node's singletons. Fields after `outbound_guard` are made later: by a start hook, or by
    the block's accessor on first use (None until then; a test may set one, or set it back to None to
    have it made anew)."""

    settings: Settings
    database: Database
    pages: Pages
    migration_heads: tuple[str, ...]
    http_metrics: HttpMetrics
    #: The one check of every address a member gives (a service's base URL), at registration and on connect.
    outbound_guard: OutboundGuard
    #: kit: outside production, the SMTP server that keeps the mail this app sends (`/dev/mail`).
    dev_mailbox: DevMailbox | None = None
    #: identity: back-channel logouts sent in the background.
    logout_delivery: BackgroundDelivery | None = None
    #: identity: the OpenID provider's state (`identity.oidc.provider.provider_of`).
    oidc_provider: Provider | None = None
    #: ledger: the signing keys (`govhub.ledger.keyring_of`).
    ledger_keyring: Keyring | None = None
    #: registries: the writer of records (group commit), drained at shutdown.
    registries_writer: RegisterWriter | None = None
    #: registries: the X-Road-Ids of assertions accepted, so a replay is refused.
    registries_seen_assertions: SeenMessages | None = None
    #: exchange: the gateway's one connection pool for every provider.
    gateway_forwarder: Forwarder | None = None
    #: exchange: the gateway's fair-share limits.
    gateway_limits: Limits | None = None
    #: exchange: the node's view of the network (`govhub.members.NetworkView`).
    gateway_network_view: NetworkView | None = None
    #: exchange: the message log writer (group commit), drained at shutdown.
    gateway_log_writer: LogWriter | None = None

    async def start(self) -> None:
        """Runs every block's start hook, in order."""
        for hooks in NODE_HOOKS:
            if hooks.start is not None:
                await hooks.start(self)

    async def stop(self) -> None:
        """Runs every block's stop hook, in the reverse order, then disposes of the database."""
        for hooks in reversed(NODE_HOOKS):
            if hooks.stop is not None:
                await hooks.stop(self)
        await self.database.dispose()


def node_of(connection: HTTPConnection) -> NodeState:
    """The node state of the app serving `connection` (a request or a websocket)."""
    return cast("NodeState", connection.app.state)


# --- the blocks' start and stop hooks ----------------------------------------------------------------------


@dataclass(frozen=True)
class NodeHooks:
    """What a block starts when the app node starts serving, and stops when it stops."""

    block: str
    start: Callable[[NodeState], Awaitable[None]] | None = None
    stop: Callable[[NodeState], Awaitable[None]] | None = None


async def _start_dev_mailbox(node: NodeState) -> None:
    """Outside production, the SMTP server that keeps the mail this app sends (`/dev/mail`). One app node
    runs it; another finding its port taken sends there too."""
    settings = node.settings
    if not settings.runs_dev_mailbox:
        return
    from govhub.kit.dev_mailbox import DevMailbox  # noqa: PLC0415 (kept off the import of this module)

    mailbox = DevMailbox(settings.smtp_host, settings.smtp_port)
    try:
        mailbox.start()
    except (OSError, RuntimeError) as error:
        logger.warning("development mailbox not started on %s:%s: %s", mailbox.host, mailbox.port, error)
        return
    logger.info("development mailbox: SMTP on %s:%s, mail shown at /dev/mail", mailbox.host, mailbox.port)
    node.dev_mailbox = mailbox


async def _stop_dev_mailbox(node: NodeState) -> None:
    if node.dev_mailbox is not None:
        node.dev_mailbox.stop()


async def _start_logout_delivery(node: NodeState) -> None:
    """Back-channel logouts sent from each app node in the background (never in tests, which run rounds
    themselves); the claim on each delivery keeps nodes from sending one twice."""
    settings = node.settings
    if not settings.oidc_logout_delivery or settings.environment is Environment.TEST:
        return
    from govhub.identity.oidc.logout.delivery import BackgroundDelivery  # noqa: PLC0415 (see the docstring)

    delivery = BackgroundDelivery(
        node.database.sessions, settings, settings.oidc_logout_delivery_interval_seconds
    )
    delivery.start()
    node.logout_delivery = delivery


async def _stop_logout_delivery(node: NodeState) -> None:
    if node.logout_delivery is not None:
        await node.logout_delivery.stop()


async def _stop_gateway(node: NodeState) -> None:
    """The gateway's message log writer writes what has queued; then its one upstream connection pool
    closes. Both are made on the gateway's first call (`exchange.gateway`)."""
    if node.gateway_log_writer is not None:
        await node.gateway_log_writer.aclose()
    if node.gateway_forwarder is not None:
        await node.gateway_forwarder.aclose()


async def _stop_registries(node: NodeState) -> None:
    """The registries' writer of records writes what has queued (`registries.writes`)."""
    if node.registries_writer is not None:
        await node.registries_writer.aclose()


#: Started in this order, stopped in the reverse one.
NODE_HOOKS: tuple[NodeHooks, ...] = (
    NodeHooks("dev_mailbox", start=_start_dev_mailbox, stop=_stop_dev_mailbox),
    NodeHooks("exchange", stop=_stop_gateway),
    NodeHooks("registries", stop=_stop_registries),
    NodeHooks("identity", start=_start_logout_delivery, stop=_stop_logout_delivery),
)
