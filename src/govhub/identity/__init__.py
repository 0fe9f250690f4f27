"""Digital identity: accounts, levels of assurance, organisations and their representatives, identities
proved against a register (P2), security keys, and an OpenID Connect provider.

This module is the block's public face: the names other blocks (members, exchange, registries, the command
line, the demos) may import, always as `from govhub.identity import X`, never from a sub-module. It hands
out no models and no repositories: what another block may know of an account is `AccountSummary`, of a
person's proved identity `VerifiedIdentity`.

Each name is imported on first use (PEP 562 `__getattr__`), so importing the face costs nothing and cannot
close an import cycle (the account pages import the provider, which imports the account pages' sessions).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from govhub.identity.accounts.models import IDENTITY_LEVELS
    from govhub.identity.accounts.pages.support import needs_sign_in
    from govhub.identity.accounts.service import (
        AccountSummary,
        IdentityService,
        NewAccount,
        account_by_email,
        account_by_id,
        account_emails,
        email_problem,
        normalised_email,
    )
    from govhub.identity.accounts.sessions import current_sign_in
    from govhub.identity.accounts.signed_in import SignedIn, prove_identity_url, sign_in_url
    from govhub.identity.accounts.totp import new_secret as new_totp_secret
    from govhub.identity.accounts.totp import provisioning_uri as totp_provisioning_uri
    from govhub.identity.demo import DEMO_PASSWORD
    from govhub.identity.organisations.models import ORGANISATION_KINDS, REPRESENTATIVE_ROLES
    from govhub.identity.organisations.service import (
        AccountNotFound,
        NewOrganisation,
        OrganisationsService,
        OrganisationSummary,
        Representation,
        normalised_registration_number,
        organisation_ids,
        organisation_public_ids,
        organisations_of,
    )
    from govhub.identity.proving.service import VerifiedIdentity, verified_identity

__all__ = [
    "DEMO_PASSWORD",
    "IDENTITY_LEVELS",
    "ORGANISATION_KINDS",
    "REPRESENTATIVE_ROLES",
    "AccountNotFound",
    "AccountSummary",
    "IdentityService",
    "NewAccount",
    "NewOrganisation",
    "OrganisationSummary",
    "OrganisationsService",
    "Representation",
    "SignedIn",
    "VerifiedIdentity",
    "account_by_email",
    "account_by_id",
    "account_emails",
    "current_sign_in",
    "email_problem",
    "needs_sign_in",
    "new_totp_secret",
    "normalised_email",
    "normalised_registration_number",
    "organisation_ids",
    "organisation_public_ids",
    "organisations_of",
    "prove_identity_url",
    "sign_in_url",
    "totp_provisioning_uri",
    "verified_identity",
]

#: Where each public name lives: (module, attribute).
_HOMES: dict[str, tuple[str, str]] = {
    "DEMO_PASSWORD": ("govhub.identity.demo", "DEMO_PASSWORD"),
    "IDENTITY_LEVELS": ("govhub.identity.accounts.models", "IDENTITY_LEVELS"),
    "ORGANISATION_KINDS": ("govhub.identity.organisations.models", "ORGANISATION_KINDS"),
    "REPRESENTATIVE_ROLES": ("govhub.identity.organisations.models", "REPRESENTATIVE_ROLES"),
    "AccountNotFound": ("govhub.identity.organisations.service", "AccountNotFound"),
    "AccountSummary": ("govhub.identity.accounts.service", "AccountSummary"),
    "IdentityService": ("govhub.identity.accounts.service", "IdentityService"),
    "NewAccount": ("govhub.identity.accounts.service", "NewAccount"),
    "NewOrganisation": ("govhub.identity.organisations.service", "NewOrganisation"),
    "OrganisationsService": ("govhub.identity.organisations.service", "OrganisationsService"),
    "OrganisationSummary": ("govhub.identity.organisations.service", "OrganisationSummary"),
    "Representation": ("govhub.identity.organisations.service", "Representation"),
    "SignedIn": ("govhub.identity.accounts.signed_in", "SignedIn"),
    "VerifiedIdentity": ("govhub.identity.proving.service", "VerifiedIdentity"),
    "account_by_email": ("govhub.identity.accounts.service", "account_by_email"),
    "account_by_id": ("govhub.identity.accounts.service", "account_by_id"),
    "account_emails": ("govhub.identity.accounts.service", "account_emails"),
    "current_sign_in": ("govhub.identity.accounts.sessions", "current_sign_in"),
    "email_problem": ("govhub.identity.accounts.service", "email_problem"),
    "needs_sign_in": ("govhub.identity.accounts.pages.support", "needs_sign_in"),
    "new_totp_secret": ("govhub.identity.accounts.totp", "new_secret"),
    "normalised_email": ("govhub.identity.accounts.service", "normalised_email"),
    "normalised_registration_number": (
        "govhub.identity.organisations.service",
        "normalised_registration_number",
    ),
    "organisation_ids": ("govhub.identity.organisations.service", "organisation_ids"),
    "organisation_public_ids": ("govhub.identity.organisations.service", "organisation_public_ids"),
    "organisations_of": ("govhub.identity.organisations.service", "organisations_of"),
    "prove_identity_url": ("govhub.identity.accounts.signed_in", "prove_identity_url"),
    "sign_in_url": ("govhub.identity.accounts.signed_in", "sign_in_url"),
    "totp_provisioning_uri": ("govhub.identity.accounts.totp", "provisioning_uri"),
    "verified_identity": ("govhub.identity.proving.service", "verified_identity"),
}


if not TYPE_CHECKING:  # hidden from mypy, which would otherwise let any name through as Any

    def __getattr__(name: str) -> Any:
        home = _HOMES.get(name)
        if home is None:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(home[0]), home[1])
        globals()[name] = value
        return value


def __dir__() -> list[str]:
    return sorted(__all__)
