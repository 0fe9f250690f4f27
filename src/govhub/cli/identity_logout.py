"""`govhub identity deliver-logouts`: one round of back-channel logout, for cron or an operator: the sessions
that timed out are ended first (so the services signed in through them are owed their logouts), then the
logouts due are sent. It is the round the app's background task runs; the row locks of the sweep and the
claim on each delivery keep two runs, or a run and an app node, from ending a session or sending a logout
twice."""

from __future__ import annotations

import asyncio
import json

import click

from govhub.cli.common import load_settings, open_database
from govhub.identity.oidc import (
    DeliveryRound,
    SweepRound,
    deliver_due_logouts,
    end_timed_out_sessions,
    forget_expired_requests,
)


async def _one_round() -> tuple[SweepRound, DeliveryRound]:
    settings = load_settings()
    database = await open_database(settings)
    try:
        swept = await end_timed_out_sessions(database.sessions)
        done = await deliver_due_logouts(database.sessions, settings)
        await forget_expired_requests(database.sessions)
        return swept, done
    finally:
        await database.dispose()


@click.command("deliver-logouts")
@click.option("--json", "as_json", is_flag=True, help="Print the counts as JSON.")
def deliver_logouts(as_json: bool) -> None:
    """End the sessions that timed out (telling the services signed in through them), then send the
    back-channel logouts that are due now, retrying failed ones whose time has come."""
    swept, done = asyncio.run(_one_round())
    if as_json:
        click.echo(json.dumps({**done.as_json(), **swept.as_json()}))
        return
    click.echo(
        f"timed-out sessions ended {swept.sessions_ended}, services signed out {swept.services_signed_out}, "
        f"logouts queued {swept.logouts_queued}"
    )
    click.echo(f"delivered {done.delivered}, failed (to retry) {done.failed}, abandoned {done.abandoned}")
