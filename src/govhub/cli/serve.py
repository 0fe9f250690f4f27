"""`govhub serve`: check the settings and the schema, say where to go, then serve."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Coroutine
from typing import Any

import click
import uvicorn

from govhub.app import create_app
from govhub.cli.common import load_settings, open_database
from govhub.config import ConfigurationError
from govhub.db import Database


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
    # In every mode: a node without its schema would answer each request with a missing table's error.
    asyncio.run(_dispose(open_database(settings)))
    click.echo(f"{settings.brand_name} is starting: open http://{host}:{port}/ (API docs at /docs)")
    if workers > 1:
        # Each worker builds its app from the environment (`create_app()`), so it checks this address too.
        os.environ["GOVHUB_HOST"] = host
        uvicorn.run(
            "govhub.app:create_app", factory=True, host=host, port=port, workers=workers, log_config=None
        )
    else:
        uvicorn.run(create_app(settings), host=host, port=port, log_config=None)


async def _dispose(opened: Coroutine[Any, Any, Database]) -> None:
    await (await opened).dispose()
