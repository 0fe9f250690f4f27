"""A real SMTP server for development and tests (aiosmtpd, on its own thread): mail the platform sends is
delivered over SMTP and kept here, newest first, for the development mailbox page. Never in production."""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass
from datetime import datetime
from email import message_from_bytes, policy
from typing import Any

from aiosmtpd.controller import Controller

from govhub.kit.clock import utcnow

#: Kept in memory: the newest so many messages.
KEPT = 200


@dataclass(frozen=True)
class ReceivedMail:
    sender: str
    recipients: tuple[str, ...]
    subject: str
    text: str
    received_at: datetime


class _Keeper:
    def __init__(self) -> None:
        self.mails: deque[ReceivedMail] = deque(maxlen=KEPT)
        self.lock = threading.Lock()

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:  # noqa: N802 (aiosmtpd's name)
        message = message_from_bytes(envelope.content, policy=policy.default)
        body = message.get_body(preferencelist=("plain",))
        text = body.get_content() if body is not None else ""
        mail = ReceivedMail(
            sender=str(envelope.mail_from),
            recipients=tuple(str(r) for r in envelope.rcpt_tos),
            subject=str(message.get("Subject", "")),
            text=str(text).replace("\r\n", "\n"),  # SMTP carries CRLF line ends
            received_at=utcnow(),
        )
        with self.lock:
            self.mails.appendleft(mail)
        return "250 Message accepted for delivery"


class DevMailbox:
    """An SMTP server on `host:port` that keeps what it receives."""

    def __init__(self, host: str, port: int) -> None:
        self._keeper = _Keeper()
        self._controller = Controller(self._keeper, hostname=host, port=port)
        self.host, self.port = host, port

    def start(self) -> None:
        self._controller.start()

    def stop(self) -> None:
        self._controller.stop()

    def mails(self) -> list[ReceivedMail]:
        with self._keeper.lock:
            return list(self._keeper.mails)
