"""`govhub identity client create|list|disable` and `govhub identity keys rotate|list`: relying parties
and the provider's signing keys, for operators."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import click
from sqlalchemy.ext.asyncio import AsyncSession

from govhub.cli.common import run_unit_of_work
from govhub.config import Settings
from govhub.identity.oidc import (
    AUTH_METHODS,
    GRANT_TYPES,
    LEVELS,
    SIGNING_ALGORITHMS,
    ClientRegistration,
    ClientView,
    KeyRing,
    LoadedKey,
    UnknownAlgorithm,
    all_clients,
    disable_client,
    register_client,
)
from govhub.kit.clock import utcnow

T = TypeVar("T")


def _run(work: Callable[[AsyncSession, Settings], Awaitable[T]]) -> T:
    """The command's unit of work; a key of an algorithm the provider does not sign with is a message too."""
    return run_unit_of_work(work, reported=(UnknownAlgorithm,))


@click.group()
def client() -> None:
    """Relying parties: services that sign people in, and machine clients."""


def _load_jwks(path: str | None) -> dict[str, Any] | None:
    if path is None:
        return None
    try:
        loaded = json.loads(Path(path).read_text())
    except (OSError, ValueError) as error:
        raise click.BadParameter(f"cannot read a JWK Set from {path}: {error}", param_hint="--jwks") from None
    if isinstance(loaded, dict) and "keys" not in loaded and "kty" in loaded:
        loaded = {"keys": [loaded]}  # one JWK given on its own
    if not isinstance(loaded, dict):
        raise click.BadParameter("the file must hold a JWK Set", param_hint="--jwks")
    return loaded


@client.command("create")
@click.option("--name", required=True, help="The service's name, shown on the consent screen.")
@click.option("--organisation", required=True, help="Who runs the service.")
@click.option("--purpose", default="", help="What it uses people's data for.")
@click.option("--client-id", default=None, help="Chosen id; random when left out.")
@click.option("--redirect-uri", "redirect_uris", multiple=True, help="Repeat for several.")
@click.option("--post-logout-redirect-uri", "post_logout_redirect_uris", multiple=True)
@click.option("--backchannel-logout-uri", default=None)
@click.option("--auth-method", type=click.Choice(AUTH_METHODS), default="private_key_jwt", show_default=True)
@click.option("--jwks", "jwks_path", default=None, help="A file holding the client's public JWK Set.")
@click.option("--jwks-uri", default=None, help="Where the client publishes its JWK Set.")
@click.option("--id-token-alg", type=click.Choice(SIGNING_ALGORITHMS), default="ES256", show_default=True)
@click.option("--sector", default=None, help="Sector identifier for pairwise subjects.")
@click.option(
    "--subject-type", type=click.Choice(["pairwise", "public"]), default="pairwise", show_default=True
)
@click.option("--grant-type", "grant_types", multiple=True, type=click.Choice(GRANT_TYPES))
@click.option("--scope", "scopes", multiple=True, help="An allowed scope; repeat for several.")
@click.option("--level", "levels", multiple=True, type=click.Choice(LEVELS), help="Allowed vector of trust.")
@click.option("--require-par", is_flag=True)
@click.option("--require-dpop", is_flag=True)
@click.option(
    "--exchange-subsystem",
    default=None,
    help="The data exchange subsystem (INSTANCE/CLASS/MEMBER/SUBSYSTEM) acting for people signed in here.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the client as JSON.")
def create_client(  # noqa: PLR0917 (a click command: one parameter per option)
    name: str,
    organisation: str,
    purpose: str,
    client_id: str | None,
    redirect_uris: tuple[str, ...],
    post_logout_redirect_uris: tuple[str, ...],
    backchannel_logout_uri: str | None,
    auth_method: str,
    jwks_path: str | None,
    jwks_uri: str | None,
    id_token_alg: str,
    sector: str | None,
    subject_type: str,
    grant_types: tuple[str, ...],
    scopes: tuple[str, ...],
    levels: tuple[str, ...],
    require_par: bool,
    require_dpop: bool,
    exchange_subsystem: str | None,
    as_json: bool,
) -> None:
    """Register a relying party. A client_secret_post client's secret is printed this once."""
    registration = ClientRegistration(
        name=name,
        organisation=organisation,
        purpose=purpose,
        client_id=client_id,
        redirect_uris=list(redirect_uris),
        post_logout_redirect_uris=list(post_logout_redirect_uris),
        backchannel_logout_uri=backchannel_logout_uri,
        token_endpoint_auth_method=auth_method,
        jwks=_load_jwks(jwks_path),
        jwks_uri=jwks_uri,
        id_token_signed_response_alg=id_token_alg,
        sector_identifier=sector,
        subject_type=subject_type,
        grant_types=list(grant_types),
        allowed_scopes=list(scopes),
        allowed_levels=list(levels) or ["Cl", "Cl.Cm"],
        require_par=require_par,
        require_dpop=require_dpop,
        exchange_subsystem=exchange_subsystem,
    )

    async def work(session: AsyncSession, _settings: Settings) -> dict[str, Any]:
        registered = await register_client(session, registration)
        described = ClientView.of(registered.client).model_dump(mode="json", by_alias=True)
        if registered.client_secret is not None:
            described["clientSecret"] = registered.client_secret
        return described

    described = _run(work)
    if as_json:
        click.echo(json.dumps(described, indent=2))
        return
    click.echo(f"client {described['clientId']} created: {described['name']} ({described['organisation']})")
    click.echo(f"grants {' '.join(described['grantTypes'])}; scopes {' '.join(described['allowedScopes'])}")
    if "clientSecret" in described:
        click.echo(f"client secret (shown once, keep it safe): {described['clientSecret']}")


@client.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print the clients as JSON.")
def list_clients(as_json: bool) -> None:
    """List relying parties."""

    async def work(session: AsyncSession, _settings: Settings) -> list[dict[str, Any]]:
        clients = await all_clients(session)
        return [ClientView.of(c).model_dump(mode="json", by_alias=True) for c in clients]

    clients = _run(work)
    if as_json:
        click.echo(json.dumps(clients, indent=2))
        return
    for described in clients:
        state = "disabled" if described["disabledAt"] else "enabled"
        grants = ",".join(described["grantTypes"])
        click.echo(
            f"{described['clientId']}\t{described['name']}\t{described['organisation']}\t{grants}\t{state}"
        )
    if not clients:
        click.echo("no clients yet")


@client.command("disable")
@click.argument("client_id")
@click.option("--json", "as_json", is_flag=True, help="Print the client as JSON.")
def disable(client_id: str, as_json: bool) -> None:
    """Disable a client: it can no longer authenticate or sign anyone in (within
    GOVHUB_OIDC_CACHE_SECONDS on every node). Its registration is kept."""

    async def work(session: AsyncSession, _settings: Settings) -> dict[str, Any] | None:
        disabled = await disable_client(session, client_id)
        return None if disabled is None else ClientView.of(disabled).model_dump(mode="json", by_alias=True)

    described = _run(work)
    if described is None:
        raise click.ClickException(
            f"there is no client {client_id!r}; `govhub identity client list` shows them"
        )
    if as_json:
        click.echo(json.dumps(described, indent=2))
        return
    click.echo(f"client {client_id} disabled")


@click.group()
def keys() -> None:
    """The provider's signing keys (published in /.well-known/jwks.json)."""


def _described_key(key: LoadedKey) -> dict[str, Any]:
    return {
        "kid": key.kid,
        "alg": key.alg,
        "state": key.state(utcnow()),
        "publishedAt": key.published_at.isoformat(),
        "activeFrom": key.active_from.isoformat(),
        "retiredAt": key.retired_at.isoformat() if key.retired_at else None,
    }


@keys.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print the keys as JSON.")
def list_keys(as_json: bool) -> None:
    """List signing keys: next (published, not signing yet), published (signing or still verifying),
    retired."""

    async def work(session: AsyncSession, settings: Settings) -> list[dict[str, Any]]:
        return [_described_key(key) for key in await KeyRing(settings, cache_seconds=0).keys(session)]

    described = _run(work)
    if as_json:
        click.echo(json.dumps(described, indent=2))
        return
    for key in described:
        click.echo(f"{key['kid']}\t{key['alg']}\t{key['state']}\tsigns from {key['activeFrom']}")
    if not described:
        click.echo("no keys yet: the first is made when the provider first signs or publishes its JWKS")


@keys.command("rotate")
@click.option("--alg", type=click.Choice(SIGNING_ALGORITHMS), default="ES256", show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the new key as JSON.")
def rotate_keys(alg: str, as_json: bool) -> None:
    """Publish a new key now; it signs after GOVHUB_OIDC_KEY_PUBLISH_AHEAD_SECONDS, and the keys it
    replaces leave the JWKS GOVHUB_OIDC_KEY_RETIRE_AFTER_SECONDS after that."""

    async def work(session: AsyncSession, settings: Settings) -> dict[str, Any]:
        return _described_key(await KeyRing(settings, cache_seconds=0).rotate(session, alg))

    described = _run(work)
    if as_json:
        click.echo(json.dumps(described, indent=2))
        return
    click.echo(f"key {described['kid']} ({alg}) published; it signs from {described['activeFrom']}")


@keys.command("retire")
@click.argument("kid")
@click.option("--json", "as_json", is_flag=True, help="Print the key as JSON.")
def retire_key(kid: str, as_json: bool) -> None:
    """Withdraw a key at once (after a suspected leak): tokens it signed stop verifying. Rotate first, so
    another key signs."""

    async def work(session: AsyncSession, settings: Settings) -> dict[str, Any] | None:
        retired = await KeyRing(settings, cache_seconds=0).retire(session, kid)
        return None if retired is None else _described_key(retired)

    described = _run(work)
    if described is None:
        raise click.ClickException(f"there is no key {kid!r}; `govhub identity keys list` shows them")
    if as_json:
        click.echo(json.dumps(described, indent=2))
        return
    click.echo(f"key {kid} retired: it no longer signs and has left the JWKS")
