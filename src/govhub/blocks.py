"""The building blocks of the platform, in the order they arrive.

Each block is a package `govhub.<slug>`. When a block grows a `routes.py` with a `router`, the app factory
mounts it and the home page links to its `home_path`; until then the home page lists it as on its way.
Its `models.py`, when present, is imported so that migrations and the models-match-migrations test see it.
"""

from __future__ import annotations

import importlib
import importlib.util
from dataclasses import dataclass
from types import ModuleType


@dataclass(frozen=True)
class BuildingBlock:
    slug: str
    name: str
    summary: str
    #: The page or API entry point a person starts from, once the block has arrived.
    home_path: str | None = None

    def module(self, name: str) -> ModuleType | None:
        """The block's `routes`, `models` or `demo` module, or None while it has none."""
        qualified = f"govhub.{self.slug}.{name}"
        if importlib.util.find_spec(qualified) is None:
            return None
        return importlib.import_module(qualified)

    @property
    def has_arrived(self) -> bool:
        return self.home_path is not None


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
    ),
    BuildingBlock(
        "consent",
        "Consent",
        "Data agreements and each person's consent to sharing, speaking the GovStack Consent API.",
    ),
    BuildingBlock(
        "standards",
        "Standards",
        "The standards every service meets, checked automatically before it is listed.",
    ),
    BuildingBlock(
        "notify",
        "Notifications",
        "Email, text messages and letters to citizens through a GOV.UK Notify compatible API.",
    ),
    BuildingBlock(
        "pay",
        "Payments",
        "Payments to government through a GOV.UK Pay compatible API.",
    ),
    BuildingBlock(
        "portal",
        "Your account",
        "The citizen's and business's home: services, consents, who used their data, messages, payments.",
    ),
    BuildingBlock(
        "effectiveness",
        "Digital effectiveness",
        "How well every service performs, published by the Office of Digital Effectiveness.",
    ),
)


def import_all_models() -> None:
    """Register every block's tables on `govhub.db.Base.metadata`."""
    for block in BUILDING_BLOCKS:
        block.module("models")
