"""Who is signed in on this browser: the one interface the OpenID Connect provider uses to ask the account
pages. The account pages own sessions (`govhub.identity.accounts.sessions`); the provider never reads
their tables.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlencode


@dataclass(frozen=True)
class SignedIn:
    account_id: int
    #: The account's public id (a UUID), from which pairwise subjects are derived.
    account_public_id: str
    email: str
    #: The session's public id, carried as `sid` in ID tokens and logout tokens.
    sid: str
    #: "Cl" (password) or "Cl.Cm" (password and a second factor).
    auth_level: str
    #: "P0", "P1" or "P2".
    identity_level: str
    authenticated_at: datetime


def sign_in_url(return_to: str, *, auth_level: str = "Cl") -> str:
    """Where to send a browser to sign in (or step up to `auth_level`) and come back to `return_to`, a
    path on this site."""
    return "/sign-in?" + urlencode({"return_to": return_to, "level": auth_level})


def prove_identity_url(return_to: str) -> str:
    """Where to send a signed-in person to prove their identity (P2) and come back to `return_to`."""
    return "/account/prove-identity?" + urlencode({"return_to": return_to})
