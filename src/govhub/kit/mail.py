"""Outgoing email through SMTP (`GOVHUB_SMTP_*`). The standard library's client, in a worker thread so the
event loop never waits on a mail server."""

from __future__ import annotations

import asyncio
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage

from govhub.config import Settings
from govhub.kit.errors import GovhubError

#: Seconds to connect and for each SMTP exchange.
_TIMEOUT = 10


class MailNotSent(GovhubError):
    status = 503
    slug = "mail-not-sent"
    title = "The email could not be sent"


@dataclass(frozen=True)
class Mail:
    to: str
    subject: str
    text: str


class Mailer:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    async def send(self, mail: Mail) -> None:
        await asyncio.to_thread(self._send_now, self._message(mail))

    def _message(self, mail: Mail) -> EmailMessage:
        message = EmailMessage()
        message["From"] = self.settings.mail_from
        message["To"] = mail.to
        message["Subject"] = mail.subject
        message.set_content(mail.text)
        return message

    def _send_now(self, message: EmailMessage) -> None:
        settings = self.settings
        try:
            with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=_TIMEOUT) as smtp:
                if settings.smtp_starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if settings.smtp_username:
                    smtp.login(settings.smtp_username, settings.smtp_password.get_secret_value())
                smtp.send_message(message)
        except (OSError, smtplib.SMTPException) as error:
            raise MailNotSent(
                f"The mail server at {settings.smtp_host}:{settings.smtp_port} did not take the message "
                f"({type(error).__name__}). Try again in a few minutes."
            ) from error
