"""The service's own sessions, kept in this process (a demo runs one): the browser holds only a random
token. A back-channel logout from govhub ends every session signed in through the govhub session (`sid`)
it names, so signing out at govhub signs out here too, even with this site's tab closed."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from govhub.demo_service.exchange import Eligibility
from govhub.demo_service.oidc import PendingSignIn

COOKIE = "parking_session"
#: A sign-in not completed within this time is forgotten (the browser is sent back to start again).
PENDING_LIFETIME = 600
SESSION_LIFETIME = 8 * 3600


@dataclass
class SignedInPerson:
    sub: str
    sid: str | None
    vot: str
    id_token: str
    userinfo: dict[str, Any]
    #: The person's access token from the sign-in: the council sends it with its gateway calls, so that the
    #: gateway, not the council, names the person to the provider.
    access_token: str | None = None
    signed_in_at: float = field(default_factory=time.time)

    @property
    def identity_checked(self) -> bool:
        return "P2" in self.vot.split(".")


@dataclass
class Application:
    reference: str
    vehicle_registration: str
    zone: str
    free_permit: bool = False


@dataclass
class DemoSession:
    token: str
    csrf_token: str
    created_at: float = field(default_factory=time.time)
    pending: dict[str, PendingSignIn] = field(default_factory=dict)
    person: SignedInPerson | None = None
    application: Application | None = None
    #: The NHS trust's answer, once it has been had (a failed check is asked again on the next page).
    eligibility: Eligibility | None = None

    def take_pending(self, state: str) -> PendingSignIn | None:
        pending = self.pending.pop(state, None)
        if pending is None or time.time() - pending.started_at > PENDING_LIFETIME:
            return None
        return pending


@dataclass(frozen=True)
class ReceivedLogout:
    sid: str | None
    sub: str | None
    sessions_ended: int
    received_at: float


class SessionStore:
    def __init__(self) -> None:
        self._sessions: dict[str, DemoSession] = {}
        #: Every back-channel logout accepted, newest last: shown to the operator, checked by the tests.
        self.logouts: list[ReceivedLogout] = []

    def get(self, token: str | None) -> DemoSession | None:
        session = self._sessions.get(token or "")
        if session is not None and time.time() - session.created_at > SESSION_LIFETIME:
            del self._sessions[session.token]
            return None
        return session

    def new(self) -> DemoSession:
        session = DemoSession(token=secrets.token_urlsafe(32), csrf_token=secrets.token_urlsafe(32))
        self._sessions[session.token] = session
        return session

    def renew(self, old: DemoSession) -> DemoSession:
        """A new token for a session that has just signed in, so a token planted before sign-in (session
        fixation) is worth nothing after it."""
        self._sessions.pop(old.token, None)
        fresh = self.new()
        fresh.pending = old.pending
        return fresh

    def end(self, session: DemoSession) -> None:
        self._sessions.pop(session.token, None)

    def end_signed_in(self, *, sid: str | None, sub: str | None) -> int:
        """End the sessions signed in through govhub session `sid` (or, with no `sid`, every session of
        person `sub`); how many were ended."""
        ended = [
            token
            for token, session in self._sessions.items()
            if session.person is not None
            and (session.person.sid == sid if sid else session.person.sub == sub)
            and (sub is None or session.person.sub == sub)
        ]
        for token in ended:
            del self._sessions[token]
        self.logouts.append(ReceivedLogout(sid, sub, len(ended), time.time()))
        return len(ended)
