"""The members block's routes: the admin API (`/members/applications`, `/members/members`,
`/members/subsystems`, `/members/services`) and the pages (`/members`, `/members/apply`, `/members/yours`,
`/members/yours/confirmations/...`, `/members/yours/services`, `/members/yours/traffic`,
`/members/admin/...`)."""

from __future__ import annotations

from fastapi import APIRouter

from govhub.members import (
    admin_pages,
    api_routes,
    confirmation_pages,
    directory_routes,
    pages,
    services_api,
    services_pages,
    traffic_pages,
)

router = APIRouter()
router.include_router(api_routes.router)
router.include_router(services_api.router)
router.include_router(pages.router)
router.include_router(confirmation_pages.router)
router.include_router(services_pages.router)
router.include_router(traffic_pages.router)
router.include_router(admin_pages.router)
# Last: its no-/r1 metaservice paths (`/{instanceId}/{memberClass}/.../listMethods`) begin with a variable.
router.include_router(directory_routes.router)
