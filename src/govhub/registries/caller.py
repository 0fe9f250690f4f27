"""Who is asking a register, and why: the caller every rule of the registries is decided for. Only a
verified source makes one with a client (`registries.callers` reads it from a request), or trusted platform
code calling the service itself (identity proving, the command line, demo data)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from govhub.registries.errors import CallerUnknown

_CLIENT = re.compile(r"^[^/\s]+/[^/\s]+/[^/\s]+(/[^/\s]+)?$")


@dataclass(frozen=True)
class Caller:
    """Who is asking (`INSTANCE/CLASS/MEMBER/SUBSYSTEM`), and why. Only a verified source makes one with a
    client (`registries.callers`), or trusted platform code calling the service itself (identity proving,
    the command line, demo data)."""

    client: str | None
    purpose: str = "not stated"
    #: A client header that was sent but not believed (no token, no gateway assertion, not from a trusted
    #: mediator): never acted on, only named in the answer that says how to identify.
    unverified: str | None = None

    @property
    def member(self) -> str | None:
        return None if self.client is None else "/".join(self.client.split("/")[:3])

    @staticmethod
    def stated(purpose: str | None) -> str:
        return (purpose or "").strip()[:500] or "not stated"

    @classmethod
    def from_header(cls, header: str | None, purpose: str | None) -> Caller:
        """The caller a verified source names (see `registries.callers`)."""
        client = (header or "").strip() or None
        if client is not None and not _CLIENT.match(client):
            raise CallerUnknown(
                f"Information-Mediator-Client must be INSTANCE/CLASS/MEMBER/SUBSYSTEM, not {client!r}."
            )
        return cls(client, cls.stated(purpose))


#: What a caller sends to be believed (`registries.callers`): every 401 of the registries says it.
HOW_TO_IDENTIFY = (
    "call through the exchange gateway (/r1/...), or send your subsystem's access token (Authorization: "
    "Bearer <token> from the client_credentials grant) with Information-Mediator-Client naming that subsystem"
)


def identify_first(action: str, caller: Caller) -> CallerUnknown:
    """The 401 for an anonymous caller: what to send, and why a client header alone was not believed."""
    detail = f"To {action}, identify your system: {HOW_TO_IDENTIFY}."
    if caller.unverified is not None:
        detail += (
            " Information-Mediator-Client alone is believed only from a trusted mediator's network "
            "(an X-Road security server in front of govhub: GOVHUB_REGISTRIES_TRUSTED_MEDIATORS), and "
            "this request did not come from one."
        )
    return CallerUnknown(detail)
