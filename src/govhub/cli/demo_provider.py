"""`govhub demo-provider blue-badge`: serve a demo member's service on its own port, reached by other
members through the gateway (issue 6 §9)."""

from __future__ import annotations

import click
import uvicorn
from pydantic import ValidationError


@click.group("demo-provider")
def demo_provider() -> None:
    """Demo providers: members' services the demo exchange calls through the gateway."""


@demo_provider.command("blue-badge")
@click.option("--host", default=None, help="Address to listen on (default: GOVHUB_DEMO_BLUE_BADGE_HOST).")
@click.option(
    "--port", type=int, default=None, help="Port to listen on (default: GOVHUB_DEMO_BLUE_BADGE_PORT)."
)
def blue_badge(host: str | None, port: int | None) -> None:
    """Serve the NHS trust's blue badge eligibility service."""
    from govhub.demo_providers.blue_badge.app import create_app  # noqa: PLC0415 (only when served)
    from govhub.demo_providers.blue_badge.settings import BlueBadgeSettings  # noqa: PLC0415

    try:
        settings = BlueBadgeSettings()
    except ValidationError as error:
        raise click.ClickException(f"the GOVHUB_DEMO_BLUE_BADGE_* settings are wrong: {error}") from None
    host = host or settings.host
    port = port or settings.port
    gateway = "only through the gateway" if settings.enforce_gateway else "directly too (development mode)"
    click.echo(
        f"{settings.trust_name}'s blue badge eligibility service is starting on http://{host}:{port}/ "
        f"(service {settings.service_id}, answers {gateway}; its OpenAPI at /openapi.json)"
    )
    uvicorn.run(create_app(settings), host=host, port=port)
