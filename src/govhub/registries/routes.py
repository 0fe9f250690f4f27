"""The registries block's routes: the GovStack data API (`/data/...`) and Database API (`/databases`,
`/database/...`), the grants admin API (`/registers/{name}/grants`), the open-data downloads and the
register pages (`/registers/...`)."""

from __future__ import annotations

from govhub.kit.routing import api_router
from govhub.registries import api, open_data, pages
from govhub.registries.databases import api as databases_api

router = api_router()
router.include_router(api.router)
router.include_router(databases_api.router)
router.include_router(api.grants_router)
router.include_router(open_data.router)
router.include_router(pages.router)
