"""`govhub demo-service`: serve the demo relying party ("Apply for a resident parking permit") on its own
port, signing people in through the govhub at GOVHUB_DEMO_SERVICE_ISSUER_URL."""

from __future__ import annotations

import click
import uvicorn


@click.command("demo-service")
@click.option("--host", default=None, help="Address to listen on (default: GOVHUB_DEMO_SERVICE_HOST).")
@click.option("--port", type=int, default=None, help="Port to listen on (default: GOVHUB_DEMO_SERVICE_PORT).")
def demo_service(host: str | None, port: int | None) -> None:
    """Serve the demo service that signs people in through govhub."""
    try:
        # The demo service uses Authlib, a development dependency: imported only when it is served.
        from govhub.demo_service.app import create_app  # noqa: PLC0415
        from govhub.demo_service.settings import DemoServiceSettings  # noqa: PLC0415
    except ImportError as error:
        raise click.ClickException(f"the demo service needs the development dependencies: {error}") from None
    settings = DemoServiceSettings()
    host = host or settings.host
    port = port or settings.port
    click.echo(
        f"{settings.service_name} ({settings.council_name}) is starting: open http://{host}:{port}/ "
        f"(signs in through {settings.issuer_url}, as client {settings.client_id!r})"
    )
    uvicorn.run(create_app(settings), host=host, port=port)
