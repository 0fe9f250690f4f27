"""Subject identifiers (OpenID Connect Core §8). Pairwise by default: the same person has a different
`sub` in each sector, so services of different sectors cannot join their records on it (§8.1); the value
is an HMAC of the account's public id under a key derived from `secret_key`, stable for as long as the key
is. Public subjects (the account's public id) only for clients registered so.

The data exchange names a person to a provider the same way (`exchange_user_id`): pairwise per provider
member, under a key of its own, so a provider's user id matches no client's `sub` and no other member's,
and the account's public id never leaves the platform through the gateway."""

from __future__ import annotations

import base64
import hashlib
import hmac

from govhub.config import Settings
from govhub.identity.oidc.discovery.keys import derive_key

SUBJECT_TYPES = ("pairwise", "public")


def _pairwise(key: bytes, sector: str, account_public_id: str) -> str:
    mac = hmac.new(key, f"{sector}|{account_public_id}".encode(), hashlib.sha256)
    return base64.urlsafe_b64encode(mac.digest()).rstrip(b"=").decode("ascii")


class Subjects:
    def __init__(self, settings: Settings) -> None:
        self._key = derive_key(settings, "govhub oidc pairwise subjects")
        #: Its own key: a client may register any sector identifier, so with the clients' key it could
        #: name a provider member as its sector and get that provider's ids.
        self._exchange_key = derive_key(settings, "govhub exchange pairwise user ids")

    def subject(self, *, subject_type: str, sector_identifier: str, account_public_id: str) -> str:
        if subject_type == "public":
            return account_public_id
        return _pairwise(self._key, sector_identifier, account_public_id)

    def exchange_user_id(self, *, provider_member: str, account_public_id: str) -> str:
        """The person's id for a provider in the data exchange (X-Road-UserId, the gateway assertion's
        `sub`): pairwise with the provider member (`INSTANCE/CLASS/MEMBER`) as the sector, so all of one
        member's subsystems and services know the person by one id, and two members cannot join their
        records on it."""
        return _pairwise(self._exchange_key, provider_member, account_public_id)
