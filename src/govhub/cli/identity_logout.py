"""`govhub identity deliver-logouts`: one round of back-channel logout delivery, for cron or an operator
(the same function the app's background task runs; the claim on each delivery keeps two runs, or a run
and an app node, from sending one twice)."""

from __future__ import annotations

import asyncio
import json

import click

from govhub.cli.common import load_settings
from govhub.db import Database
from govhub.identity.oidc.logout_delivery import DeliveryRound, deliver_due_logouts, forget_expired_requests


async def _one_round() -> DeliveryRound:
    settings = load_settings()
    database = Database(settings)
    try:
        done = await deliver_due_logouts(database.sessions, settings)
        await forget_expired_requests(database.sessions)
        return done
    finally:
        await database.dispose()


@click.command("deliver-logouts")
@click.option("--json", "as_json", is_flag=True, help="Print the counts as JSON.")
def deliver_logouts(as_json: bool) -> None:
    """Send the back-channel logouts that are due now, retrying failed ones whose time has come."""
    done = asyncio.run(_one_round())
    if as_json:
        click.echo(json.dumps(done.as_json()))
        return
    click.echo(f"delivered {done.delivered}, failed (to retry) {done.failed}, abandoned {done.abandoned}")
