"""One typed settings object for the whole platform.

Every setting is read from a `GOVHUB_*` environment variable or an optional `.env` file, validated once,
and passed into the app factory and the CLI. Domain code never reads the environment itself.
"""

from __future__ import annotations

import re
from enum import StrEnum
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address
from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

#: The secret a development checkout signs with. Production refuses to start while it is in use.
DEVELOPMENT_SECRET_KEY = "development-only-secret-key-do-not-use-in-production"  # noqa: S105 (a known dev value)

_HEX_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
#: WCAG 2.2 AA contrast for normal text (1.4.3); the header draws white text on the brand colour.
_MINIMUM_CONTRAST_WITH_WHITE = 4.5


class Environment(StrEnum):
    DEVELOPMENT = "development"
    TEST = "test"
    PRODUCTION = "production"


class SqliteDriver(StrEnum):
    """Which aiosqlite connection the app's SQLite engine uses (`govhub.db.engine.create_async_engine`)."""

    #: `govhub.db.sqlite_connection`: one trip to the driver's thread per statement, transactions that
    #: begin when they must, writers queued on the event loop.
    ONE_TRIP = "one-trip"
    #: aiosqlite's own connection, as SQLAlchemy's dialect makes it: relies on nothing private in aiosqlite.
    STOCK = "stock"


class ConfigurationError(Exception):
    """The settings cannot run the platform; the message says what to change."""


def default_database_url() -> str:
    return f"sqlite:///{Path('var/govhub.db').as_posix()}"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="GOVHUB_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    environment: Environment = Environment.DEVELOPMENT
    database_url: str = Field(default_factory=default_database_url)
    #: Pool size per app node for PostgreSQL; SQLite ignores it.
    database_pool_size: Annotated[int, Field(ge=1, le=200)] = 10
    #: The SQLite driver's connection: `stock` runs aiosqlite's own, if an aiosqlite upgrade breaks ours.
    sqlite_driver: SqliteDriver = SqliteDriver.ONE_TRIP
    secret_key: SecretStr = SecretStr(DEVELOPMENT_SECRET_KEY)
    #: Ed25519 key that signs ledger checkpoints, as a signed-note private key
    #: (`PRIVATE+KEY+<name>+<id>+<key>`, made by `govhub ledger keygen`). Empty in development: a key is
    #: generated on first use and kept in the database. Production refuses to start without one.
    ledger_signing_key: SecretStr = SecretStr("")

    host: str = "127.0.0.1"
    port: Annotated[int, Field(ge=1, le=65535)] = 8000
    #: The address people use to reach this deployment, for links in pages and documents.
    public_url: str = "http://127.0.0.1:8000"

    #: Largest request body accepted, in bytes; larger bodies get a 413 problem.
    max_request_body_bytes: Annotated[int, Field(ge=1024)] = 1_048_576

    #: The exchange gateway (`/r1/...`, `govhub.exchange`): the largest request body it forwards (never
    #: more than `max_request_body_bytes`) and response it relays, in bytes.
    gateway_max_request_bytes: Annotated[int, Field(ge=1024)] = 1_000_000
    gateway_max_response_bytes: Annotated[int, Field(ge=1024)] = 100 * 1024 * 1024
    #: Seconds: to connect to a provider; for its next bytes (the first response byte included); for it
    #: to take the next piece of a request body; for a free pooled connection.
    gateway_connect_timeout: Annotated[float, Field(gt=0, le=300)] = 5.0
    gateway_read_timeout: Annotated[float, Field(gt=0, le=3600)] = 30.0
    gateway_write_timeout: Annotated[float, Field(gt=0, le=3600)] = 30.0
    gateway_pool_timeout: Annotated[float, Field(gt=0, le=300)] = 5.0
    #: Connections the gateway keeps open to providers, at most, per app node.
    gateway_max_connections: Annotated[int, Field(ge=1, le=10_000)] = 200
    #: Connections to any one provider (host and port), at most, per app node: one slow provider cannot
    #: take the whole pool.
    gateway_max_connections_per_provider: Annotated[int, Field(ge=1, le=10_000)] = 20
    #: Seconds one exchange may take in all, from the request's arrival to the response's last byte,
    #: whatever the provider does between bytes (a drip of one byte every `gateway_read_timeout`).
    gateway_exchange_deadline: Annotated[float, Field(gt=0, le=3600)] = 120.0
    #: Exchanges one calling member may have in flight at once, per app node; more are refused at once
    #: (429, X-Road `Server.ServerProxy.TooManyRequests`) rather than queued behind a slow provider.
    gateway_member_concurrency: Annotated[int, Field(ge=1, le=10_000)] = 50
    #: Requests refused before the caller authenticated (no or a bad token) that one client address may
    #: make per minute, per app node; beyond it they get 429. Such refusals are counted in metrics and
    #: logs, never in the exchange ledger.
    gateway_unauthenticated_per_minute: Annotated[int, Field(ge=1, le=1_000_000)] = 120
    #: Networks (CIDR, as a JSON list: `["10.1.0.0/16"]`) a member's service address may resolve to
    #: although they are loopback, private, link-local or otherwise not public. Empty: only public
    #: addresses. `make run` allows loopback for its demo providers.
    gateway_allowed_networks: list[IPv4Network | IPv6Network] = Field(default_factory=list)
    #: Host names the outbound-address guard (`govhub.kit.outbound`) answers itself, like a hosts file (a
    #: JSON object: `{"badges.test": ["192.0.2.10"]}`), before asking DNS. The addresses are checked as
    #: any resolved address is. For tests and demos on a machine without DNS.
    outbound_hosts: dict[str, list[IPv4Address | IPv6Address]] = Field(default_factory=dict)
    #: Resolve names not in `outbound_hosts` with the system's resolver (DNS). Off: only those names
    #: resolve (the test suite: no lookup leaves the machine).
    outbound_dns: bool = True

    #: Networks (CIDR, as a JSON list) whose requests to the registries may name their caller with the bare
    #: `Information-Mediator-Client` header: where an X-Road security server or GovStack Information
    #: Mediator sits in front of govhub and has authenticated the caller itself. Empty in production by
    #: default; `make run` trusts loopback so that GovStack's examples work on a laptop.
    registries_trusted_mediators: list[IPv4Network | IPv6Network] = Field(default_factory=list)

    #: Bearer token `/metrics` asks for (Prometheus's `authorization` / `bearer_token` setting). Empty:
    #: `/metrics` answers only on loopback outside production, and not at all in production.
    metrics_token: SecretStr = SecretStr("")

    log_level: str = "INFO"
    #: JSON lines for machines (default) or plain text for a person watching a terminal.
    log_format: str = "json"

    #: Outgoing mail (account verification, notifications) goes to this SMTP server.
    smtp_host: str = "127.0.0.1"
    smtp_port: Annotated[int, Field(ge=1, le=65535)] = 8025
    smtp_username: str = ""
    smtp_password: SecretStr = SecretStr("")
    #: Upgrade the connection with STARTTLS (certificate checked) before sending.
    smtp_starttls: bool = False
    mail_from: str = "govhub <no-reply@govhub.localhost>"
    #: Outside production, run a local SMTP server inside the app on smtp_host:smtp_port that keeps what
    #: it receives for the development mailbox page (`/dev/mail`): mail is really sent, to nobody.
    dev_mailbox: bool = True

    brand_name: Annotated[str, Field(min_length=1, max_length=60)] = "govhub"
    #: Header colour. White text sits on it, so it must reach 4.5:1 contrast with white.
    brand_colour: str = "#1d4f91"
    #: Logo shown in the header; empty means the platform's own mark.
    brand_logo_url: str = ""
    #: Where the compiled front-end assets live; empty means the copy built into the package.
    assets_dir: str = ""

    # --- OpenID Connect provider: keys and token lifetimes ---
    #: A rotated-in signing key is published in the JWKS this long before it signs, so relying parties
    #: that cache the JWKS (we send max-age 300) have it before they see a token signed with it.
    oidc_key_publish_ahead_seconds: Annotated[int, Field(ge=0)] = 3600
    #: A key replaced by rotation stays published this long after its successor starts signing, longer
    #: than any token it signed lives.
    oidc_key_retire_after_seconds: Annotated[int, Field(ge=0)] = 86_400
    oidc_access_token_seconds: Annotated[int, Field(ge=30, le=86_400)] = 300
    oidc_id_token_seconds: Annotated[int, Field(ge=30, le=86_400)] = 300
    oidc_refresh_token_seconds: Annotated[int, Field(ge=60)] = 30 * 86_400
    #: How long an app node trusts its in-memory copy of signing keys and client registrations before
    #: reading them again (nodes are stateless; a disabled client stops working within this time).
    oidc_cache_seconds: Annotated[int, Field(ge=0, le=600)] = 30

    # --- OpenID Connect provider: back-channel logout delivery ---
    #: Each app node (outside tests) sends owed back-channel logouts in the background, a round every
    #: `oidc_logout_delivery_interval_seconds`. Off: run `govhub identity deliver-logouts` from cron.
    oidc_logout_delivery: bool = True
    oidc_logout_delivery_interval_seconds: Annotated[float, Field(gt=0, le=3600)] = 10.0

    # --- Members ---
    #: The X-Road style instance every member and subsystem identifier starts with
    #: (`INSTANCE/CLASS/MEMBER/SUBSYSTEM`): letters, digits, '-' and '_', at most 20.
    members_instance: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,19}$")] = "GOVHUB-DEV"

    @field_validator("brand_colour")
    @classmethod
    def _readable_on_white_text(cls, value: str) -> str:
        if not _HEX_COLOUR.match(value):
            raise ValueError("must be a colour written as #rrggbb")
        ratio = contrast_with_white(value)
        if ratio < _MINIMUM_CONTRAST_WITH_WHITE:
            raise ValueError(
                f"white header text on {value} has contrast {ratio:.2f}:1; WCAG 2.2 AA needs 4.5:1, "
                "so choose a darker colour"
            )
        return value.lower()

    @field_validator("ledger_signing_key")
    @classmethod
    def _signed_note_private_key(cls, value: SecretStr) -> SecretStr:
        if value.get_secret_value():
            from govhub.ledger.note import NoteError, NoteSigner  # noqa: PLC0415 (only when a key is set)

            try:
                NoteSigner.from_private_key(value.get_secret_value())
            except NoteError as error:
                raise ValueError(
                    f"is not a signed-note private key ({error}); make one with `govhub ledger keygen`"
                ) from None
        return value

    @field_validator("log_format")
    @classmethod
    def _known_log_format(cls, value: str) -> str:
        if value not in {"json", "text"}:
            raise ValueError("must be 'json' or 'text'")
        return value

    @property
    def is_production(self) -> bool:
        return self.environment is Environment.PRODUCTION

    @property
    def public_host(self) -> str:
        """Host and port of the public URL: the prefix of ledger origins and key names."""
        return urlsplit(self.public_url).netloc or "localhost"

    @property
    def runs_dev_mailbox(self) -> bool:
        return self.dev_mailbox and not self.is_production

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def production_problems(self) -> list[str]:
        """What stops these settings from running in production, one line per problem."""
        problems: list[str] = []
        secret = self.secret_key.get_secret_value()
        if secret == DEVELOPMENT_SECRET_KEY:
            problems.append("GOVHUB_SECRET_KEY is the development key: set a random secret of 32+ characters")
        elif len(secret) < 32:
            problems.append("GOVHUB_SECRET_KEY is shorter than 32 characters")
        if not self.ledger_signing_key.get_secret_value():
            problems.append(
                "GOVHUB_LEDGER_SIGNING_KEY is not set: make one with `govhub ledger keygen`, keep it secret"
            )
        if self.public_url.startswith("http://") and not _is_loopback_url(self.public_url):
            problems.append("GOVHUB_PUBLIC_URL must use https outside loopback")
        return problems

    def exposure_problem(self, host: str | None = None) -> str | None:
        """Why these settings must not serve outside this machine, or None.

        Outside production the secret key may be the published development key, which signs what browsers
        hold (CSRF tokens, the keys derived from it): anyone could forge them. That is harmless on loopback
        and nowhere else. An unset `GOVHUB_ENVIRONMENT` means development, so a deployment that forgot to set
        it would otherwise run quietly with that key: it is refused instead, whichever way it is reached
        (the address served on, `host`, GOVHUB_HOST by default, or the public URL)."""
        if self.is_production or self.secret_key.get_secret_value() != DEVELOPMENT_SECRET_KEY:
            return None
        host = self.host if host is None else host
        exposed = []
        if not _is_loopback_host(host):
            exposed.append(f"would listen on {host}")
        if not _is_loopback_url(self.public_url):
            exposed.append(f"is reached at {self.public_url}")
        if not exposed:
            return None
        return (
            f"govhub refuses to start: it runs as {self.environment.value} (GOVHUB_ENVIRONMENT"
            f"{' is not set' if 'environment' not in self.model_fields_set else ''}) with the published "
            f"development secret key, and {' and '.join(exposed)}, beyond this machine. For a deployment set "
            "GOVHUB_ENVIRONMENT=production and GOVHUB_SECRET_KEY to a random secret of 32+ characters; to "
            "try govhub from another machine outside production, set GOVHUB_SECRET_KEY at least; otherwise "
            "serve on loopback (GOVHUB_HOST=127.0.0.1, a GOVHUB_PUBLIC_URL on 127.0.0.1 or localhost)."
        )

    def check_can_start(self) -> None:
        """Refuse to run production with development keys or secrets, naming each one."""
        if not self.is_production:
            return
        problems = self.production_problems()
        if problems:
            listed = "\n  - ".join(problems)
            raise ConfigurationError(f"production mode refuses to start:\n  - {listed}")

    def check_can_serve(self, host: str | None = None) -> None:
        """`check_can_start`, and more for what serves HTTP (`create_app`, `govhub serve`): never beyond
        loopback with the development secret key (`exposure_problem`). Commands that only work on the
        database need not."""
        if (exposed := self.exposure_problem(host)) is not None:
            raise ConfigurationError(exposed)
        self.check_can_start()


def _is_loopback_url(url: str) -> bool:
    return re.match(r"^https?://(127\.\d+\.\d+\.\d+|localhost|\[::1\])(:\d+)?(/|$)", url) is not None


def _is_loopback_host(host: str) -> bool:
    """Whether a listening address reaches this machine only: a loopback address or `localhost`. The
    wildcard addresses (`0.0.0.0`, `::`, empty) and every other name or address are not."""
    name = host.strip().strip("[]").lower()
    if name == "localhost":
        return True
    try:
        return ip_address(name).is_loopback
    except ValueError:
        return False


def _relative_luminance(colour: str) -> float:
    """WCAG 2.2 relative luminance of an sRGB colour written #rrggbb."""
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast_with_white(colour: str) -> float:
    return 1.05 / (_relative_luminance(colour) + 0.05)
