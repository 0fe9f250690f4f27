"""The members block's routes: the admin API (`/members/applications`, `/members/members`,
`/members/subsystems`, `/members/services`) and the pages (`/members`, `/members/apply`, `/members/yours`,
`/members/yours/confirmations/...`, `/members/yours/services`, `/members/yours/traffic`,
`/members/admin/...`)."""

from __future__ import annotations

from fastapi import APIRouter

from govhub.members import api
from govhub.members.directory import api as directory_api
from govhub.members.directory import pages as directory_pages
from govhub.members.membership import pages as membership_pages
from govhub.members.onboarding import pages as onboarding_pages
from govhub.members.services import api as services_api
from govhub.members.services import pages as services_pages
from govhub.members.traffic import pages as traffic_pages

router = APIRouter()
router.include_router(api.router)
router.include_router(services_api.router)
router.include_router(onboarding_pages.router)
router.include_router(services_pages.router)
router.include_router(traffic_pages.router)
router.include_router(membership_pages.router)
# Last: its no-/r1 metaservice paths (`/{instanceId}/{memberClass}/.../listMethods`) begin with a variable.
router.include_router(directory_api.router)
router.include_router(directory_pages.router)
