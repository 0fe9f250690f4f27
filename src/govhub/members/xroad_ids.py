"""X-Road style identifiers of members and subsystems: `INSTANCE/CLASS/MEMBER` and
`INSTANCE/CLASS/MEMBER/SUBSYSTEM`, such as `GOVHUB-DEV/GOV/1234/parking`.

One parser and one formatter, used for API paths, the CLI and (later) the gateway's `/r1/...` paths. The
rules are stricter than X-Road's (which forbids only a few characters), so that an identifier is safe in a
URL path segment, in a log line and in an OAuth client id without escaping:

- every part is ASCII letters, digits, `-` and `_`, starting with a letter or digit;
- the instance is 1 to 20 characters, the member class 1 to 20, the member code 1 to 40, the subsystem
  code 1 to 30, and a subsystem's whole client id (below) at most 100.

Which member classes an instance has is not a rule of the identifier's form but of the network, as in
X-Road's global configuration: govhub's own instance (`GOVHUB_MEMBERS_INSTANCE`) has `MEMBER_CLASSES` (`GOV`
government, `NHS` health, `COM` companies, `ORG` charities and social enterprises), and the other instances
the network holds have the classes the operator registered (`membership.instances`). So `I/XYZ/1` parses;
whether instance `I` has class `XYZ` is asked of the network (the directory answers 400 when it has not).

As in X-Road, identifiers are case-sensitive: `GOVHUB-DEV/COM/sc123` and `GOVHUB-DEV/COM/SC123` differ.

A subsystem authenticates to the identity provider as the OAuth client whose id is its identifier with `.`
in place of `/` (`GOVHUB-DEV.GOV.1234.parking`): no part may contain a `.`, so the mapping is one-to-one and
reversible, and the result fits identity's client ids (3 to 100 of `A-Za-z0-9._~-`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from govhub.kit.errors import GovhubError

#: The member classes and who belongs to each.
MEMBER_CLASSES: dict[str, str] = {
    "GOV": "Government",
    "NHS": "Health",
    "COM": "Companies",
    "ORG": "Charities and social enterprises",
}
MAX_INSTANCE = 20
MAX_MEMBER_CLASS = 20
MAX_MEMBER_CODE = 40
MAX_SUBSYSTEM_CODE = 30
MAX_SERVICE_CODE = 40
#: Identity's client ids are at most 100 characters.
MAX_CLIENT_ID = 100
_PART = "[A-Za-z0-9][A-Za-z0-9_-]*"
_PART_PATTERN = re.compile(_PART)
_SEPARATOR = "/"
_CLIENT_SEPARATOR = "."

#: The metaservices' names (`govhub.members.directory.service`). They share the gateway's
#: `/r1/{subsystem}/{serviceCode}` namespace, so no service may be registered with one of these codes (the
#: metaservice would hide it).
METASERVICES = frozenset({"listClients", "listMethods", "allowedMethods", "getOpenAPI"})


class InvalidIdentifier(GovhubError):
    status = 400
    slug = "invalid-identifier"
    title = "Invalid member or subsystem identifier"


def part_problem(value: str, what: str, max_length: int) -> str | None:
    """Why `value` cannot be one part of an identifier (`what`: "member code", ...), or None."""
    if not value:
        return f"the {what} is empty"
    if len(value) > max_length:
        return f"the {what} is longer than {max_length} characters"
    if not _PART_PATTERN.fullmatch(value):
        return (
            f"the {what} {value[:60]!r} may use only letters A to Z, digits, '-' and '_', and starts with "
            "a letter or digit"
        )
    return None


def class_problem(value: str, classes: Iterable[str] = MEMBER_CLASSES) -> str | None:
    """Why `value` is not one of `classes` (govhub's own instance's, unless told), or None."""
    listed = list(classes)
    if value not in listed:
        return f"the member class is one of {', '.join(listed)}, not {value[:20]!r}"
    return None


@dataclass(frozen=True, order=True)
class MemberId:
    instance: str
    member_class: str
    member_code: str

    def __post_init__(self) -> None:
        problems = [
            problem
            for problem in (
                part_problem(self.instance, "instance", MAX_INSTANCE),
                part_problem(self.member_class, "member class", MAX_MEMBER_CLASS),
                part_problem(self.member_code, "member code", MAX_MEMBER_CODE),
            )
            if problem is not None
        ]
        if problems:
            raise InvalidIdentifier(_sentence(problems))

    def __str__(self) -> str:
        return _SEPARATOR.join((self.instance, self.member_class, self.member_code))

    def subsystem(self, subsystem_code: str) -> SubsystemId:
        return SubsystemId(self, subsystem_code)


@dataclass(frozen=True, order=True)
class SubsystemId:
    member: MemberId
    subsystem_code: str

    def __post_init__(self) -> None:
        problem = part_problem(self.subsystem_code, "subsystem code", MAX_SUBSYSTEM_CODE)
        if problem is None and len(self.client_id) > MAX_CLIENT_ID:
            problem = f"the subsystem identifier is longer than {MAX_CLIENT_ID} characters"
        if problem is not None:
            raise InvalidIdentifier(_sentence([problem]))

    def __str__(self) -> str:
        return f"{self.member}{_SEPARATOR}{self.subsystem_code}"

    @property
    def client_id(self) -> str:
        """The OAuth client id the subsystem authenticates as (see the module's docstring)."""
        return str(self).replace(_SEPARATOR, _CLIENT_SEPARATOR)


@dataclass(frozen=True, order=True)
class ServiceId:
    """A subsystem's service: `INSTANCE/CLASS/MEMBER/SUBSYSTEM/SERVICECODE` (the gateway's `/r1/...` path
    names one). The service code follows the same rule as the other parts, at most 40 characters."""

    subsystem: SubsystemId
    service_code: str

    def __post_init__(self) -> None:
        problem = part_problem(self.service_code, "service code", MAX_SERVICE_CODE)
        if problem is not None:
            raise InvalidIdentifier(_sentence([problem]))

    def __str__(self) -> str:
        return f"{self.subsystem}{_SEPARATOR}{self.service_code}"


def _sentence(problems: list[str]) -> str:
    text = "; ".join(problems)
    return text[0].upper() + text[1:] + "."


def _parts(text: str, count: int, shape: str) -> list[str]:
    if not isinstance(text, str) or len(text) > 200:
        raise InvalidIdentifier(f"An identifier is {shape}, at most 200 characters.")
    parts = text.split(_SEPARATOR)
    if len(parts) != count:
        raise InvalidIdentifier(f"{text[:120]!r} is not {shape}: it has {len(parts)} parts, not {count}.")
    return parts


def parse_member_id(text: str) -> MemberId:
    """`INSTANCE/CLASS/MEMBER`, or `InvalidIdentifier` saying what is wrong."""
    instance, member_class, member_code = _parts(text, 3, "INSTANCE/CLASS/MEMBER")
    return MemberId(instance, member_class, member_code)


def parse_subsystem_id(text: str) -> SubsystemId:
    """`INSTANCE/CLASS/MEMBER/SUBSYSTEM`, or `InvalidIdentifier` saying what is wrong."""
    instance, member_class, member_code, subsystem_code = _parts(text, 4, "INSTANCE/CLASS/MEMBER/SUBSYSTEM")
    return SubsystemId(MemberId(instance, member_class, member_code), subsystem_code)


def parse_service_id(text: str) -> ServiceId:
    """`INSTANCE/CLASS/MEMBER/SUBSYSTEM/SERVICECODE`, or `InvalidIdentifier` saying what is wrong."""
    instance, member_class, member_code, subsystem_code, service_code = _parts(
        text, 5, "INSTANCE/CLASS/MEMBER/SUBSYSTEM/SERVICECODE"
    )
    return ServiceId(SubsystemId(MemberId(instance, member_class, member_code), subsystem_code), service_code)


def parse_identifier(text: str) -> MemberId | SubsystemId:
    """A member's or a subsystem's identifier, told apart by the number of parts."""
    if isinstance(text, str) and text.count(_SEPARATOR) == 3:
        return parse_subsystem_id(text)
    return parse_member_id(text)
