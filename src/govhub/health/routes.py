"""`/healthz`: the process is alive. `/readyz`: it can serve (database reachable, schema at the migration
head), else 503 so a load balancer sends traffic elsewhere. `/metrics`: Prometheus text format, for a
scraper holding the metrics token (`govhub.health.access`)."""

from __future__ import annotations

from typing import Any

from fastapi import Depends, Request
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from govhub.db import migration_status
from govhub.dependencies import AppDatabase
from govhub.health.access import metrics_scraper
from govhub.health.schemas import Liveness, MigrationState, Readiness
from govhub.kit.access import PUBLIC
from govhub.kit.metrics import HttpMetrics
from govhub.kit.problems import PROBLEM_JSON, problem_response, problem_type
from govhub.kit.routing import api_router

router = api_router(tags=["operations"])

_NOT_READY: dict[int | str, dict[str, Any]] = {
    503: {
        "description": "Not ready: the database is unreachable or its schema is behind the code.",
        "content": {PROBLEM_JSON: {}},
    }
}


@router.get("/healthz", summary="Liveness", dependencies=[PUBLIC])
async def healthz() -> Liveness:
    return Liveness(status="alive")


@router.get(
    "/readyz", summary="Readiness", response_model=Readiness, responses=_NOT_READY, dependencies=[PUBLIC]
)
async def readyz(request: Request, database: AppDatabase) -> Readiness | Response:
    heads: tuple[str, ...] = request.app.state.migration_heads
    status = await migration_status(database.engine, heads)
    migrations = MigrationState(current=status.current, heads=list(heads))
    if status.at_head:
        return Readiness(status="ready", database="reachable", migrations=migrations)
    return problem_response(
        request,
        status=503,
        title="Not ready",
        detail=status.describe(),
        type_=problem_type("not-ready"),
        extensions={
            "database": "reachable" if status.reachable else "unreachable",
            "migrations": migrations.model_dump(),
        },
    )


@router.get(
    "/metrics",
    summary="Prometheus metrics",
    response_class=Response,
    dependencies=[Depends(metrics_scraper)],
    responses={
        200: {"content": {CONTENT_TYPE_LATEST: {}}, "description": "Prometheus text format."},
        401: {
            "description": "GOVHUB_METRICS_TOKEN is set and the bearer token is missing or wrong.",
            "content": {PROBLEM_JSON: {}},
        },
        403: {
            "description": "No metrics token is set and the caller is not on this machine (loopback).",
            "content": {PROBLEM_JSON: {}},
        },
        404: {
            "description": "Production without a metrics token: not served.",
            "content": {PROBLEM_JSON: {}},
        },
    },
)
async def metrics(request: Request) -> Response:
    """For a scraper sending `Authorization: Bearer <GOVHUB_METRICS_TOKEN>`; with no token set, for this
    machine only (loopback) outside production, and not served in production."""
    http_metrics: HttpMetrics = request.app.state.http_metrics
    return Response(generate_latest(http_metrics.registry), media_type=CONTENT_TYPE_LATEST)
