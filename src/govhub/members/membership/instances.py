"""Which member classes each instance has: X-Road keeps them in the global configuration, per instance;
govhub keeps its own instance's classes in code (`xroad_ids.MEMBER_CLASSES`, each with the identity
organisation kinds its members are: `onboarding.service.CLASS_KINDS`) and every other instance's in
`members_instance_classes`, which the operator manages (`govhub member class add|list`) and loaders fill
(`govhub govstack load`). An instance the network knows is govhub's own or one with a registered class.

The directory asks `instance_classes` whether an identifier's instance and class exist before it looks a
subsystem up (an unknown one is a malformed request there, 400); onboarding takes an instance's classes to
admit members of it. Never commits."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from govhub.identity import ORGANISATION_KINDS
from govhub.kit.clock import utcnow
from govhub.members.errors import InvalidMemberClass
from govhub.members.models import InstanceMemberClass
from govhub.members.onboarding.service import CLASS_KINDS
from govhub.members.repository import MembersRepository
from govhub.members.xroad_ids import MAX_INSTANCE, MAX_MEMBER_CLASS, part_problem

MAX_DESCRIPTION = 200


@dataclass(frozen=True)
class MemberClass:
    instance: str
    member_class: str
    #: The identity organisation kinds its members may be; the first is the default.
    organisation_kinds: tuple[str, ...]
    description: str


async def instance_classes(
    session: AsyncSession, instance: str, own_instance: str
) -> dict[str, tuple[str, ...]]:
    """`instance`'s member classes, each with its organisation kinds; empty when the network does not know
    the instance."""
    if instance == own_instance:
        return dict(CLASS_KINDS)
    rows = await MembersRepository(session).instance_classes(instance)
    return {row.member_class: (row.organisation_kind,) for row in rows}


async def member_classes(session: AsyncSession, own_instance: str) -> list[MemberClass]:
    """Every instance's classes: govhub's own first, then the others by instance and class."""
    own = [MemberClass(own_instance, name, kinds, "built in") for name, kinds in CLASS_KINDS.items()]
    rows = await MembersRepository(session).instance_classes()
    return own + [
        MemberClass(row.instance, row.member_class, (row.organisation_kind,), row.description) for row in rows
    ]


async def add_member_class(
    session: AsyncSession,
    own_instance: str,
    instance: str,
    member_class: str,
    *,
    organisation_kind: str = "public-body",
    description: str = "",
    added_by: str,
) -> bool:
    """Registers `member_class` for `instance`: True if added, False if it was there already (its kind and
    description then left as they are). `InvalidMemberClass` says what is wrong, before anything is
    written."""
    problems = [
        problem
        for problem in (
            part_problem(instance, "instance", MAX_INSTANCE),
            part_problem(member_class, "member class", MAX_MEMBER_CLASS),
        )
        if problem is not None
    ]
    if instance == own_instance:
        problems.append(
            f"{own_instance} is govhub's own instance, whose classes are built in ({', '.join(CLASS_KINDS)})"
        )
    if organisation_kind not in ORGANISATION_KINDS:
        problems.append(f"the organisation kind is one of {', '.join(ORGANISATION_KINDS)}")
    text = " ".join(description.split())
    if len(text) > MAX_DESCRIPTION or not text.isprintable():
        problems.append(f"the description is text of at most {MAX_DESCRIPTION} characters")
    if problems:
        detail = "; ".join(problems)
        raise InvalidMemberClass(detail[0].upper() + detail[1:] + ".")
    repository = MembersRepository(session)
    if member_class in {row.member_class for row in await repository.instance_classes(instance)}:
        return False
    return await repository.add_instance_class(
        InstanceMemberClass(
            instance=instance,
            member_class=member_class,
            organisation_kind=organisation_kind,
            description=text,
            added_by=added_by,
            added_at=utcnow(),
        )
    )
