"""The members block's FastAPI dependencies, shared by the admin API and the pages: the applications
service for this deployment's instance, and the member a path names."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path

from govhub.dependencies import AppSettings, DbSession
from govhub.members.onboarding.confirmations import Confirmations
from govhub.members.onboarding.service import ApplicationsService
from govhub.members.xroad_ids import MemberId

Instance = Annotated[str, Path(description="The X-Road instance, e.g. GOVHUB-DEV.")]
MemberClass = Annotated[str, Path(alias="memberClass", description="GOV, NHS, COM or ORG.")]
MemberCode = Annotated[str, Path(alias="memberCode")]
#: The path of a member, after the prefix of the API or the pages.
MEMBER_PATH = "{instance}/{memberClass}/{memberCode}"


async def _applications(db: DbSession, settings: AppSettings) -> ApplicationsService:
    return ApplicationsService(db, settings.members_instance)


async def _confirmations(db: DbSession, settings: AppSettings) -> Confirmations:
    return Confirmations(db, settings.members_instance)


async def _member_path(instance: Instance, member_class: MemberClass, member_code: MemberCode) -> MemberId:
    """The member the path names, or a 400 problem saying what is wrong with its identifier."""
    return MemberId(instance, member_class, member_code)


async def _member_path_text(instance: Instance, member_class: MemberClass, member_code: MemberCode) -> str:
    """The member the path names, as written, for pages that check who is asking before they parse it."""
    return f"{instance}/{member_class}/{member_code}"


Applications = Annotated[ApplicationsService, Depends(_applications)]
ConfirmationsService = Annotated[Confirmations, Depends(_confirmations)]
MemberPath = Annotated[MemberId, Depends(_member_path)]
MemberPathText = Annotated[str, Depends(_member_path_text)]
