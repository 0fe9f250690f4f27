"""`govhub serve`: check the settings and the schema, say where to go, then serve."""

from __future__ import annotations

import asyncio
import os

import click
import uvicorn

from govhub.app import create_app
from govhub.cli.common import load_settings
from govhub.config import ConfigurationError, Settings
from govhub.db import Database, MigrationStatus, migration_heads, migration_status


@click.command()
@click.option("--host", default=None, help="Address to listen on (default: GOVHUB_HOST).")
@click.option("--port", type=int, default=None, help="Port to listen on (default: GOVHUB_PORT).")
@click.option("--workers", type=int, default=1, show_default=True, help="Worker processes on this node.")
def serve(host: str | None, port: int | None, workers: int) -> None:
    """Serve the platform over HTTP."""
    settings = load_settings()
    host = host or settings.host
    port = port or settings.port
    # Checked against the address really served on, before anything else: the development secret key
    # never serves beyond loopback (`Settings.exposure_problem`).
    try:
        settings.check_can_serve(host)
    except ConfigurationError as error:
        raise click.ClickException(str(error)) from None
    settings = settings.model_copy(update={"host": host, "port": port})
    status = asyncio.run(_migration_status_of(settings))
    if not status.at_head:
        if settings.is_production:
            raise click.ClickException(f"production mode refuses to start: {status.describe()}")
        click.echo(f"warning: {status.describe()}", err=True)
    click.echo(f"{settings.brand_name} is starting: open http://{host}:{port}/ (API docs at /docs)")
    if workers > 1:
        # Each worker builds its app from the environment (`create_app()`), so it checks this address too.
        os.environ["GOVHUB_HOST"] = host
        uvicorn.run(
            "govhub.app:create_app", factory=True, host=host, port=port, workers=workers, log_config=None
        )
    else:
        uvicorn.run(create_app(settings), host=host, port=port, log_config=None)


async def _migration_status_of(settings: Settings) -> MigrationStatus:
    database = Database(settings)
    try:
        return await migration_status(database.engine, migration_heads())
    finally:
        await database.dispose()
