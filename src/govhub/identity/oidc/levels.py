"""Levels of assurance: what a relying party asks for and what a browser session still needs to reach it.

Two ways to ask, one meaning:

- `vtr` (RFC 8485 §3.1, as GOV.UK One Login uses it): a JSON array of vectors of trust in the relying
  party's order of preference, e.g. `["Cl.Cm.P2"]`. A vector's components are separated by dots in any
  order: `Cl` (one factor) or `Cl.Cm` (two factors) for authentication, optionally with `P0`, `P1` or `P2`
  for identity confidence (which needs `Cl.Cm`). Answered with `vot` (and `vtm`) in the ID token.
- `acr_values` (OpenID Connect Core §3.1.2.1): space-separated, in order of preference, mapped by
  `ACR_VECTORS` below (login.gov's values included). Answered with `acr` in the ID token.

A request is met by the first of its vectors (in order of preference) that the session already meets; when
none is met, the session is taken towards the first one.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

#: Authentication strengths, weakest first.
AUTH_LEVELS = ("Cl", "Cl.Cm")
#: Identity confidence, weakest first.
IDENTITY_LEVELS = ("P0", "P1", "P2")

#: `acr_values` a relying party may ask in, and the vector each means.
ACR_VECTORS: dict[str, str] = {
    "urn:govhub:loa:cl": "Cl",
    "urn:govhub:loa:cl.cm": "Cl.Cm",
    "urn:govhub:loa:cl.cm.p1": "Cl.Cm.P1",
    "urn:govhub:loa:cl.cm.p2": "Cl.Cm.P2",
    # login.gov's values: authentication only (it always uses two factors), and a verified identity.
    "urn:acr.login.gov:auth-only": "Cl.Cm",
    "urn:acr.login.gov:verified": "Cl.Cm.P2",
}

#: What a request means when it names no level at all: two factors, no identity proven.
DEFAULT_VECTOR = "Cl.Cm"
#: RFC 8485 §3 `vtm`: where the meaning of our vector components is published.
TRUSTMARK_PATH = "/trustmark"

_MAX_VECTORS = 10


class LevelError(ValueError):
    """The levels asked for cannot be understood or are not allowed for this client; the message says
    which (for `error_description`)."""


@dataclass(frozen=True)
class Vector:
    """One vector of trust: an authentication strength and, optionally, an identity confidence."""

    auth: str
    identity: str | None = None

    @classmethod
    def parse(cls, text: str) -> Vector:
        """RFC 8485 §3: components separated by periods, each a letter and a value, in any order."""
        components = text.split(".")
        if not text or any(not component for component in components):
            raise LevelError(f"{text!r} is not a vector of trust such as Cl.Cm or Cl.Cm.P2")
        unknown = [c for c in components if c not in {"Cl", "Cm", *IDENTITY_LEVELS}]
        if unknown or len(set(components)) != len(components):
            raise LevelError(
                f"{text!r} is not a vector of trust this provider offers: use Cl, Cl.Cm or Cl.Cm.P0-P2"
            )
        if "Cl" not in components:
            raise LevelError(f"{text!r} names no authentication: every vector starts from Cl")
        identities = [c for c in components if c in IDENTITY_LEVELS]
        if len(identities) > 1:
            raise LevelError(f"{text!r} names two identity levels")
        auth = "Cl.Cm" if "Cm" in components else "Cl"
        identity = identities[0] if identities else None
        if identity is not None and auth != "Cl.Cm":
            raise LevelError(f"{text!r}: identity confidence needs two factors (Cl.Cm.{identity})")
        return cls(auth, identity)

    @property
    def text(self) -> str:
        return self.auth if self.identity is None else f"{self.auth}.{self.identity}"

    @property
    def identity_rank(self) -> int:
        """P0 and no identity component mean the same: nothing proven."""
        return IDENTITY_LEVELS.index(self.identity) if self.identity else 0

    def at_most(self, other: Vector) -> bool:
        """Whether `other` is at least as strong in both authentication and identity."""
        return (
            AUTH_LEVELS.index(self.auth) <= AUTH_LEVELS.index(other.auth)
            and self.identity_rank <= other.identity_rank
        )

    def met_by(self, auth_level: str, identity_level: str) -> bool:
        # Identity confidence counts only in a two-factor session.
        return self.at_most(Vector(auth_level, identity_level if auth_level == "Cl.Cm" else None))


class Asked(StrEnum):
    VTR = "vtr"
    ACR = "acr_values"
    DEFAULT = "default"


@dataclass(frozen=True)
class LevelRequest:
    """The vectors a relying party will accept, in its order of preference, and how it asked: by `vtr`,
    by `acr_values` (then `acr_values` holds the value each vector was asked as) or not at all."""

    vectors: tuple[Vector, ...]
    asked: Asked
    acr_values: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "vectors": [v.text for v in self.vectors],
            "asked": self.asked.value,
            "acr": list(self.acr_values),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> LevelRequest:
        """Read back what `to_json` wrote into a pending authorization."""
        return cls(
            tuple(Vector.parse(str(v)) for v in data["vectors"]),
            Asked(str(data["asked"])),
            tuple(str(value) for value in data["acr"]),
        )

    @property
    def by_vtr(self) -> bool:
        """Whether the ID token answers with `vot`/`vtm` (asked by `vtr` or not at all) or with `acr`."""
        return self.asked is not Asked.ACR

    @property
    def wants_identity(self) -> bool:
        return any(vector.identity_rank == IDENTITY_LEVELS.index("P2") for vector in self.vectors)

    def met(self, auth_level: str, identity_level: str) -> int | None:
        """The index of the most preferred vector the session meets, or None."""
        for index, vector in enumerate(self.vectors):
            if vector.met_by(auth_level, identity_level):
                return index
        return None

    def vot(self, index: int) -> str:
        return self.vectors[index].text

    def acr(self, index: int) -> str | None:
        return self.acr_values[index] if self.asked is Asked.ACR else None


def parse_vtr(text: str) -> tuple[Vector, ...]:
    """RFC 8485 §3.1: a JSON array of vector strings."""
    try:
        values = json.loads(text)
    except ValueError:
        raise LevelError('vtr must be a JSON array of vectors of trust, such as ["Cl.Cm"]') from None
    if not isinstance(values, list) or not values or not all(isinstance(v, str) for v in values):
        raise LevelError('vtr must be a JSON array of vectors of trust, such as ["Cl.Cm"]')
    if len(values) > _MAX_VECTORS:
        raise LevelError(f"vtr names more than {_MAX_VECTORS} vectors")
    return tuple(Vector.parse(value) for value in values)


def parse_acr_values(text: str) -> tuple[tuple[Vector, ...], tuple[str, ...]]:
    values = tuple(dict.fromkeys(text.split()))
    if not values:
        raise LevelError("acr_values is empty")
    if len(values) > _MAX_VECTORS:
        raise LevelError(f"acr_values names more than {_MAX_VECTORS} values")
    unknown = [value for value in values if value not in ACR_VECTORS]
    if unknown:
        raise LevelError(
            f"acr_values {' '.join(unknown)!r} unknown: this provider offers " + ", ".join(ACR_VECTORS)
        )
    return tuple(Vector.parse(ACR_VECTORS[value]) for value in values), values


def requested_levels(vtr: str | None, acr_values: str | None, allowed: Sequence[str]) -> LevelRequest:
    """What a relying party asked for, checked against the levels it is registered for. A client may ask
    for any level at most as strong as one of its allowed levels (so one allowed `Cl.Cm.P2` also allows
    `Cl.Cm`). Raises `LevelError` with a message for `error_description`."""
    if vtr and acr_values:
        raise LevelError("give vtr or acr_values, not both")
    if vtr:
        request = LevelRequest(parse_vtr(vtr), Asked.VTR)
    elif acr_values:
        vectors, values = parse_acr_values(acr_values)
        request = LevelRequest(vectors, Asked.ACR, values)
    else:
        request = LevelRequest((Vector.parse(DEFAULT_VECTOR),), Asked.DEFAULT)
    ceilings = [Vector.parse(level) for level in allowed]
    refused = [v.text for v in request.vectors if not any(v.at_most(ceiling) for ceiling in ceilings)]
    if refused:
        raise LevelError(
            f"this service is not registered for the level {', '.join(refused)}; it may ask for "
            + (", ".join(allowed) or "no level")
            + (" (the default, when none is asked, is Cl.Cm)" if request.asked is Asked.DEFAULT else "")
        )
    return request


class Step(StrEnum):
    """What the browser does next before a code can be issued."""

    SIGN_IN = "sign_in"
    STEP_UP = "step_up"
    PROVE_IDENTITY = "prove_identity"


@dataclass(frozen=True)
class Decision:
    """Either the session meets the request (`met` is the index of the vector it meets), or `step` says
    what it needs next and `auth_level` the strength to sign in at."""

    met: int | None
    step: Step | None = None
    auth_level: str = "Cl"


def next_step(request: LevelRequest, auth_level: str | None, identity_level: str) -> Decision:
    """What a session (None: not signed in) needs to meet `request`."""
    target = request.vectors[0]
    if auth_level is None:
        return Decision(None, Step.SIGN_IN, target.auth)
    index = request.met(auth_level, identity_level)
    if index is not None:
        return Decision(index)
    if AUTH_LEVELS.index(auth_level) < AUTH_LEVELS.index(target.auth):
        return Decision(None, Step.STEP_UP, target.auth)
    return Decision(None, Step.PROVE_IDENTITY, target.auth)
