"""`/healthz`: the process is alive. `/readyz`: it can serve (database reachable, schema at the migration
head), else 503 so a load balancer sends traffic elsewhere. `/metrics`: Prometheus text format."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from govhub.db import migration_status
from govhub.dependencies import AppDatabase
from govhub.health.schemas import Liveness, MigrationState, Readiness
from govhub.kit.access import PUBLIC
from govhub.kit.metrics import HttpMetrics
from govhub.kit.problems import PROBLEM_JSON, problem_response, problem_type
from govhub.kit.routing import api_router

router = api_router(tags=["operations"], dependencies=[PUBLIC])

_NOT_READY: dict[int | str, dict[str, Any]] = {
    503: {
        "description": "Not ready: the database is unreachable or its schema is behind the code.",
        "content": {PROBLEM_JSON: {}},
    }
}


@router.get("/healthz", summary="Liveness")
async def healthz() -> Liveness:
    return Liveness(status="alive")


@router.get("/readyz", summary="Readiness", response_model=Readiness, responses=_NOT_READY)
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
    responses={200: {"content": {CONTENT_TYPE_LATEST: {}}, "description": "Prometheus text format."}},
)
async def metrics(request: Request) -> Response:
    http_metrics: HttpMetrics = request.app.state.http_metrics
    return Response(generate_latest(http_metrics.registry), media_type=CONTENT_TYPE_LATEST)
