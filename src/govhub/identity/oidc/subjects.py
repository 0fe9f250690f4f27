"""Subject identifiers (OpenID Connect Core §8). Pairwise by default: the same person has a different
`sub` in each sector, so services of different sectors cannot join their records on it (§8.1); the value
is an HMAC of the account's public id under a key derived from `secret_key`, stable for as long as the key
is. Public subjects (the account's public id) only for clients registered so."""

from __future__ import annotations

import base64
import hashlib
import hmac

from govhub.config import Settings
from govhub.identity.oidc.keys import derive_key

SUBJECT_TYPES = ("pairwise", "public")


class Subjects:
    def __init__(self, settings: Settings) -> None:
        self._key = derive_key(settings, "govhub oidc pairwise subjects")

    def subject(self, *, subject_type: str, sector_identifier: str, account_public_id: str) -> str:
        if subject_type == "public":
            return account_public_id
        mac = hmac.new(self._key, f"{sector_identifier}|{account_public_id}".encode(), hashlib.sha256)
        return base64.urlsafe_b64encode(mac.digest()).rstrip(b"=").decode("ascii")
