"""`govhub service register|update|list|show|disable|enable` and `govhub access grant|revoke|list`:
members' services and access rights from the command line, acting as the platform (`command line` in the
record). A service is named by its X-Road style id, `INSTANCE/CLASS/MEMBER/SUBSYSTEM/SERVICECODE`; every
command prints `--json` on request."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from sqlalchemy.ext.asyncio import AsyncSession

from govhub.cli.common import echo, run_unit_of_work
from govhub.config import Settings
from govhub.kit.errors import GovhubError
from govhub.kit.outbound import OutboundGuard
from govhub.members import (
    COMMAND_LINE_ACTOR,
    PLATFORM,
    RightDetails,
    RightView,
    ServiceDetails,
    ServiceId,
    ServicesService,
    ServiceView,
    parse_service_id,
    parse_subsystem_id,
)

COMMAND_LINE = COMMAND_LINE_ACTOR
_JSON = click.option("--json", "as_json", is_flag=True, help="Print JSON.")
_ENDPOINT = click.option(
    "--endpoint", help="One endpoint, 'METHOD /path/{template}'; the whole service if left out."
)


def _service_id(text: str) -> ServiceId:
    try:
        return parse_service_id(text)
    except GovhubError as error:
        raise click.BadParameter(error.detail, param_hint="SERVICE") from None


def _document(path: Path) -> bytes:
    # Read no more than the limit and one byte: a larger document is refused with the limit named.
    with path.open("rb") as file:
        return file.read(1024 * 1024 + 1)


def _service(details: ServiceDetails) -> dict[str, Any]:
    return ServiceView.of(details, with_rights=True).model_dump(mode="json", by_alias=True)


def _right(details: RightDetails) -> dict[str, Any]:
    return RightView.of(details).model_dump(mode="json", by_alias=True)


def _service_text(view: dict[str, Any]) -> str:
    lines = [
        f"{view['id']}  {view['title']}{'  (disabled)' if view['disabled'] else ''}",
        f"  base URL: {view['baseUrl']}  OpenAPI {view['openapiVersion']}, version {view['documentVersion']}",
    ]
    lines += [f"  {e['method']:7} {e['path']}" for e in view["endpoints"]]
    for right in view.get("rights") or []:
        lines.append(f"  right: {right['client']} -> {right['endpoint'] or 'whole service'}")
    return "\n".join(lines)


@click.group()
def service() -> None:
    """Members' services: register one from its OpenAPI document, update, list, show, disable."""


@service.command("register")
@click.option("--subsystem", required=True, help="INSTANCE/CLASS/MEMBER/SUBSYSTEM")
@click.option("--code", "service_code", required=True, help="The service code, e.g. eligibility.")
@click.option(
    "--base-url",
    required=True,
    help="Where the provider answers (http or https), at public addresses (GOVHUB_GATEWAY_ALLOWED_NETWORKS).",
)
@click.option(
    "--openapi", "openapi_file", type=click.Path(exists=True, dir_okay=False, path_type=Path), required=True
)
@click.option("--title", help="The document's info.title when left out.")
@_JSON
def register(
    *, subsystem: str, service_code: str, base_url: str, openapi_file: Path, title: str | None, as_json: bool
) -> None:
    """Register a subsystem's service; its endpoints are read from the OpenAPI 3.0/3.1 file (JSON or YAML)."""
    content = _document(openapi_file)

    async def work(session: AsyncSession, settings: Settings) -> dict[str, Any]:
        details = await ServicesService(session).register(
            COMMAND_LINE,
            subsystem=subsystem,
            service_code=service_code,
            base_url=base_url,
            openapi=content,
            title=title,
            outbound=OutboundGuard.from_settings(settings),
        )
        return _service(details)

    view = run_unit_of_work(work)
    echo(view, as_json, "Registered " + _service_text(view))


@service.command("update")
@click.argument("service_id")
@click.option("--base-url")
@click.option("--openapi", "openapi_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@_JSON
def update(service_id: str, base_url: str | None, openapi_file: Path | None, as_json: bool) -> None:
    """Update a service: a new OpenAPI file replaces its endpoints (rights to those that went are revoked)."""
    name = _service_id(service_id)
    content = _document(openapi_file) if openapi_file else None

    async def work(session: AsyncSession, settings: Settings) -> dict[str, Any]:
        updated = await ServicesService(session).update(
            COMMAND_LINE,
            name,
            base_url=base_url,
            openapi=content,
            outbound=OutboundGuard.from_settings(settings),
        )
        return {"service": _service(updated.details), "revokedRights": [_right(r) for r in updated.revoked]}

    done = run_unit_of_work(work)
    revoked = "".join(f"\nRevoked {r['client']} -> {r['endpoint']}" for r in done["revokedRights"])
    echo(done, as_json, "Updated " + _service_text(done["service"]) + revoked)


@service.command("list")
@click.option("--subsystem", help="Only this subsystem's services (INSTANCE/CLASS/MEMBER/SUBSYSTEM).")
@_JSON
def list_services(subsystem: str | None, as_json: bool) -> None:
    """List services."""
    try:
        subsystem_id = parse_subsystem_id(subsystem) if subsystem else None
    except GovhubError as error:
        raise click.BadParameter(error.detail, param_hint="--subsystem") from None

    async def work(session: AsyncSession, _settings: Settings) -> list[dict[str, Any]]:
        found = await ServicesService(session).services(PLATFORM, subsystem_id)
        return [ServiceView.of(d).model_dump(mode="json", by_alias=True) for d in found]

    views = run_unit_of_work(work)
    echo(views, as_json, "\n".join(_service_text(v) for v in views) or "No services.")


@service.command("show")
@click.argument("service_id")
@_JSON
def show(service_id: str, as_json: bool) -> None:
    """Show a service, its endpoints and its live access rights."""
    name = _service_id(service_id)

    async def work(session: AsyncSession, _settings: Settings) -> dict[str, Any]:
        return _service(await ServicesService(session).service(PLATFORM, name))

    view = run_unit_of_work(work)
    echo(view, as_json, _service_text(view))


def _set_disabled(service_id: str, disabled: bool, as_json: bool) -> None:
    name = _service_id(service_id)

    async def work(session: AsyncSession, _settings: Settings) -> dict[str, Any]:
        return _service(await ServicesService(session).set_disabled(COMMAND_LINE, name, disabled))

    view = run_unit_of_work(work)
    echo(view, as_json, ("Disabled " if disabled else "Enabled ") + view["id"])


@service.command("disable")
@click.argument("service_id")
@_JSON
def disable(service_id: str, as_json: bool) -> None:
    """Refuse calls to a service until it is enabled again (its rights are kept)."""
    _set_disabled(service_id, True, as_json)


@service.command("enable")
@click.argument("service_id")
@_JSON
def enable(service_id: str, as_json: bool) -> None:
    """Enable a disabled service."""
    _set_disabled(service_id, False, as_json)


@click.group()
def access() -> None:
    """Access rights to members' services: grant, revoke, list."""


@access.command("grant")
@click.option("--service", "service_id", required=True, help="INSTANCE/CLASS/MEMBER/SUBSYSTEM/SERVICECODE")
@click.option("--client", required=True, help="The client subsystem, INSTANCE/CLASS/MEMBER/SUBSYSTEM.")
@_ENDPOINT
@_JSON
def grant(service_id: str, client: str, endpoint: str | None, as_json: bool) -> None:
    """Grant a subsystem the right to call a service, or one of its endpoints."""
    name = _service_id(service_id)

    async def work(session: AsyncSession, _settings: Settings) -> dict[str, Any]:
        return _right(await ServicesService(session).grant(COMMAND_LINE, name, client, endpoint))

    right = run_unit_of_work(work)
    echo(right, as_json, f"Granted {right['client']} -> {right['endpoint'] or 'whole service'} of {name}")


@access.command("revoke")
@click.option("--service", "service_id", required=True, help="INSTANCE/CLASS/MEMBER/SUBSYSTEM/SERVICECODE")
@click.option("--client", required=True, help="The client subsystem, INSTANCE/CLASS/MEMBER/SUBSYSTEM.")
@_ENDPOINT
@_JSON
def revoke(service_id: str, client: str, endpoint: str | None, as_json: bool) -> None:
    """Revoke a live right (it is kept, marked revoked)."""
    name = _service_id(service_id)

    async def work(session: AsyncSession, _settings: Settings) -> dict[str, Any]:
        return _right(await ServicesService(session).revoke(COMMAND_LINE, name, client, endpoint))

    right = run_unit_of_work(work)
    echo(right, as_json, f"Revoked {right['client']} -> {right['endpoint'] or 'whole service'} of {name}")


@access.command("list")
@click.option("--service", "service_id", required=True, help="INSTANCE/CLASS/MEMBER/SUBSYSTEM/SERVICECODE")
@click.option("--history", is_flag=True, help="Revoked rights too.")
@_JSON
def list_rights(service_id: str, history: bool, as_json: bool) -> None:
    """List a service's access rights."""
    name = _service_id(service_id)

    async def work(session: AsyncSession, _settings: Settings) -> list[dict[str, Any]]:
        details = await ServicesService(session).service(PLATFORM, name, history=history)
        return [_right(r) for r in details.rights]

    rights = run_unit_of_work(work)
    text = "\n".join(
        f"{r['client']} -> {r['endpoint'] or 'whole service'}"
        + (f"  (revoked {r['revokedAt']}: {r['revokedReason']})" if r["revokedAt"] else "")
        for r in rights
    )
    echo(rights, as_json, text or "No access rights.")
