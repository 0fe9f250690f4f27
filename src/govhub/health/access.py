"""Who may read `/metrics`: its counters name every client and service of the exchange, and how much
each calls, so it is not public.

With `GOVHUB_METRICS_TOKEN` set, a scraper sends it as a bearer token, as Prometheus does with
`authorization: {credentials: ...}` (or the older `bearer_token`) in its scrape config; it is compared in
constant time. Without a token, only this machine may read it (a peer on loopback), and only outside
production: a production node without a token does not serve it at all."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, Request
from starlette.exceptions import HTTPException

from govhub.dependencies import AppSettings
from govhub.kit.access import ACCESS_DEPENDENCIES
from govhub.kit.errors import Forbidden, NotFound
from govhub.kit.peers import is_loopback_peer

_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="metrics"'}


class MetricsNotServed(NotFound):
    slug = "metrics-not-served"
    title = "Metrics are not served here"


class MetricsForLoopbackOnly(Forbidden):
    slug = "metrics-loopback-only"
    title = "Metrics are for this machine only"


def _bearer(request: Request) -> str | None:
    scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
    return credentials.strip() if scheme.lower() == "bearer" and credentials.strip() else None


async def metrics_scraper(request: Request, settings: AppSettings) -> None:
    """A scraper with the metrics token; without a token set, a peer on loopback outside production."""
    expected = settings.metrics_token.get_secret_value()
    if expected:
        given = _bearer(request)
        if given is None or not hmac.compare_digest(given.encode(), expected.encode()):
            raise HTTPException(
                401,
                "Send the metrics token as a bearer token (Authorization: Bearer <GOVHUB_METRICS_TOKEN>).",
                headers=_CHALLENGE,
            )
        return
    if settings.is_production:
        raise MetricsNotServed(
            "This node serves no metrics: set GOVHUB_METRICS_TOKEN and give it to Prometheus to scrape them."
        )
    if not is_loopback_peer(request):
        raise MetricsForLoopbackOnly(
            "Without GOVHUB_METRICS_TOKEN, metrics are served to this machine only (a loopback address)."
        )


ACCESS_DEPENDENCIES.add(metrics_scraper)
MetricsScraper = Annotated[None, Depends(metrics_scraper)]
