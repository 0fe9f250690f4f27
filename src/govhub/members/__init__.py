"""Who is plugged in: members (organisations, X-Road style `INSTANCE/CLASS/MEMBER`), their subsystems,
onboarding applications, suspensions and the credentials subsystems authenticate with; the services they
offer and the access rights to them.

This is the block's public face: other blocks (the exchange, registries, the CLI, demo data) import only
these names, never a submodule, and never members' models or repositories. Inside, the block is laid out
as `onboarding/` (applications, the platform's review, the representative's confirmation), `membership/`
(members once admitted: status, keys, who may act for them), `services/` (services, access rights and the
one rule that decides who may call what) and `directory/` (the X-Road metaservices and the catalogue).

Nothing here imports another block's pages or the exchange, so any block may import this face."""

from __future__ import annotations

from govhub.members.directory.scenario import (
    InvalidScenarioData,
    load_directory_scenario,
    read_directory_scenario_data,
)
from govhub.members.errors import (
    AccessRightExists,
    InvalidMemberClass,
    InvalidService,
    MemberNotFound,
    NotMemberAdmin,
)
from govhub.members.membership.instances import MemberClass, add_member_class, member_classes
from govhub.members.membership.keys import parse_jwks_text
from govhub.members.membership.service import (
    MembershipService,
    active_subsystem_of_client,
    grant_platform_admin,
    member_exists,
    member_names,
    platform_admins,
    revoke_platform_admin,
)
from govhub.members.models import APPLICATION_STATUSES, CONFIRMING
from govhub.members.onboarding.service import COMMAND_LINE, ApplicationsService, Decider, NewApplication
from govhub.members.repository import PLATFORM, Viewer
from govhub.members.schemas import ApplicationView, MemberView
from govhub.members.services.network_view import CallerView, CurrentNetwork, NetworkView
from govhub.members.services.openapi_documents import load_document
from govhub.members.services.rights import AccessDecision, Verdict, may_call
from govhub.members.services.schemas import RightView, ServiceView
from govhub.members.services.service import (
    COMMAND_LINE_ACTOR,
    RightDetails,
    ServiceDetails,
    ServicesService,
)
from govhub.members.xroad_ids import (
    MEMBER_CLASSES,
    InvalidIdentifier,
    MemberId,
    ServiceId,
    SubsystemId,
    parse_identifier,
    parse_member_id,
    parse_service_id,
    parse_subsystem_id,
)

__all__ = [
    "APPLICATION_STATUSES",
    "COMMAND_LINE",
    "COMMAND_LINE_ACTOR",
    "CONFIRMING",
    "MEMBER_CLASSES",
    "PLATFORM",
    "AccessDecision",
    "AccessRightExists",
    "ApplicationView",
    "ApplicationsService",
    "CallerView",
    "CurrentNetwork",
    "Decider",
    "InvalidIdentifier",
    "InvalidMemberClass",
    "InvalidScenarioData",
    "InvalidService",
    "MemberClass",
    "MemberId",
    "MemberNotFound",
    "MemberView",
    "MembershipService",
    "NetworkView",
    "NewApplication",
    "NotMemberAdmin",
    "RightDetails",
    "RightView",
    "ServiceDetails",
    "ServiceId",
    "ServiceView",
    "ServicesService",
    "SubsystemId",
    "Verdict",
    "Viewer",
    "active_subsystem_of_client",
    "add_member_class",
    "grant_platform_admin",
    "load_directory_scenario",
    "load_document",
    "may_call",
    "member_classes",
    "member_exists",
    "member_names",
    "parse_identifier",
    "parse_jwks_text",
    "parse_member_id",
    "parse_service_id",
    "parse_subsystem_id",
    "platform_admins",
    "read_directory_scenario_data",
    "revoke_platform_admin",
]
