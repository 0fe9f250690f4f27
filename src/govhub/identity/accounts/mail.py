"""The emails the account journeys send: what each says, in one place, so the page handlers only ask for
one to be sent. Every email ends with the service's name."""

from __future__ import annotations

from urllib.parse import urlencode

from govhub.config import Settings
from govhub.kit.mail import Mail, Mailer


def link(settings: Settings, path: str, **query: str) -> str:
    """An absolute link to `path` on this site, for an email."""
    return settings.public_url.rstrip("/") + path + ("?" + urlencode(query) if query else "")


def _mail(settings: Settings, to: str, subject: str, text: str) -> Mail:
    return Mail(to, subject, text + f"\n\n{settings.brand_name}\n")


def already_have_an_account(settings: Settings, to: str) -> Mail:
    """Sent instead of a confirmation link when the address has an account, so the sign-up page never
    tells which addresses have one."""
    return _mail(
        settings,
        to,
        f"You already have a {settings.brand_name} account",
        "Someone, perhaps you, tried to create an account with this email address, which already has "
        f"one.\n\nSign in: {link(settings, '/sign-in')}\n"
        f"Forgotten your password? {link(settings, '/password-reset')}\n\n"
        "If it was not you, you need do nothing.",
    )


def confirm_your_address(settings: Settings, to: str, url: str) -> Mail:
    return _mail(
        settings,
        to,
        "Confirm your email address",
        f"Confirm your email address to finish creating your {settings.brand_name} account:\n\n{url}\n\n"
        "The link works once and expires after 24 hours. If you did not ask for an account, ignore this "
        "email: none is made until the address is confirmed.",
    )


def reset_your_password(settings: Settings, to: str, url: str) -> Mail:
    return _mail(
        settings,
        to,
        "Reset your password",
        f"Choose a new password for your {settings.brand_name} account:\n\n{url}\n\n"
        "The link works once and expires after 1 hour. If you did not ask to reset your password, "
        "ignore this email: your password has not changed.",
    )


async def send(settings: Settings, mail: Mail) -> None:
    await Mailer(settings).send(mail)
