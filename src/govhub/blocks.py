"""The platform's roadmap: the building blocks built so far, then those planned, in the order they arrive.

A built block is a package `govhub.<slug>`. The app factory mounts its `routes.py` (its `router`); its
`models.py` is imported so that migrations and the models-match-migrations test see it; `govhub demo load`
runs its `demo.py`. The home page links each built block's pages and marks the others *Planned*. A planned
block has no package until work on it starts (an empty package would only pretend): it is an entry here.
"""

from __future__ import annotations

import importlib
import importlib.util
from dataclasses import dataclass
from types import ModuleType


@dataclass(frozen=True)
class Link:
    """A page of a block that the home page links to."""

    text: str
    path: str


@dataclass(frozen=True)
class BuildingBlock:
    slug: str
    name: str
    summary: str
    #: The page a person starts from: the home page links the block's name to it, and the header's navigation
    #: lists it. A built block without one (the exchange, whose pages belong to an account or a member)
    #: lists its pages in `pages` instead.
    home_path: str | None = None
    #: Further pages of the block that the home page links to.
    pages: tuple[Link, ...] = ()
    #: On the roadmap, not built: no package `govhub.<slug>` yet.
    planned: bool = False

    def module(self, name: str) -> ModuleType | None:
        """The block's `routes`, `models` or `demo` module, or None while it has none (a planned block has
        none)."""
        if self.planned:
            return None
        qualified = f"govhub.{self.slug}.{name}"
        if importlib.util.find_spec(qualified) is None:
            return None
        return importlib.import_module(qualified)


BUILDING_BLOCKS: tuple[BuildingBlock, ...] = (
    BuildingBlock(
        "ledger",
        "Verifiable ledger",
        "Tamper-evident logs with signed checkpoints, so anyone can check that records were only ever added.",
        home_path="/ledgers",
    ),
    BuildingBlock(
        "registries",
        "Registries",
        "Authoritative registers with history, proofs and open data, speaking the GovStack Digital "
        "Registries API.",
        home_path="/registers",
    ),
    BuildingBlock(
        "identity",
        "Digital identity",
        "One account for citizens and businesses, levels of assurance and an OpenID Connect provider.",
        home_path="/account",
    ),
    BuildingBlock(
        "members",
        "Members and services",
        "The agencies, companies and charities plugged into the platform, and the services they offer.",
        home_path="/members",
    ),
    BuildingBlock(
        "exchange",
        "Data exchange",
        "A secured gateway between members, with access rights, consent checks and a log of every call.",
        pages=(
            Link("Who used your data", "/account/data-use"),
            Link("Your members' traffic", "/members/yours/traffic"),
        ),
    ),
    BuildingBlock(
        "consent",
        "Consent",
        "Data agreements and each person's consent to sharing, speaking the GovStack Consent API.",
        planned=True,
    ),
    BuildingBlock(
        "standards",
        "Standards",
        "The standards every service meets, checked automatically before it is listed.",
        planned=True,
    ),
    BuildingBlock(
        "notify",
        "Notifications",
        "Email, text messages and letters to citizens through a GOV.UK Notify compatible API.",
        planned=True,
    ),
    BuildingBlock(
        "pay",
        "Payments",
        "Payments to government through a GOV.UK Pay compatible API.",
        planned=True,
    ),
    BuildingBlock(
        "portal",
        "Your account",
        "The citizen's and business's home: services, consents, who used their data, messages, payments.",
        planned=True,
    ),
    BuildingBlock(
        "effectiveness",
        "Digital effectiveness",
        "How well every service performs, published by the Office of Digital Effectiveness.",
        planned=True,
    ),
)


def import_all_models() -> None:
    """Register every block's tables on `govhub.db.Base.metadata`."""
    for block in BUILDING_BLOCKS:
        block.module("models")
