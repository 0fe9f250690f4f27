"""`/dev/mail`: what the platform has sent to the development mailbox (`govhub.kit.dev_mailbox`), as a page
or as JSON. Not mounted in production, and answered only to this machine: the mailbox holds every link
the platform mails (sign-up, password reset), so whoever reads it from elsewhere could take any account
of a development deployment that others can reach."""

from __future__ import annotations

from typing import Any

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse

from govhub.dependencies import AppSettings, PageRenderer
from govhub.kit.access import ACCESS_DEPENDENCIES
from govhub.kit.clock import iso_utc
from govhub.kit.dev_mailbox import DevMailbox
from govhub.kit.errors import NotFound
from govhub.kit.peers import is_loopback_peer
from govhub.kit.problems import wants_html
from govhub.kit.routing import api_router


async def this_machine_only(request: Request) -> None:
    """Development tools answer only to a client on this machine; anyone else finds nothing here."""
    if not is_loopback_peer(request):
        raise NotFound("There is nothing at this address.")


ACCESS_DEPENDENCIES.add(this_machine_only)

router = api_router(dependencies=[Depends(this_machine_only)], include_in_schema=False)


@router.get("/dev/mail", response_model=None)
async def development_mailbox(
    request: Request, settings: AppSettings, pages: PageRenderer
) -> HTMLResponse | list[dict[str, Any]]:
    mailbox: DevMailbox | None = getattr(request.app.state, "dev_mailbox", None)
    mails = mailbox.mails() if mailbox is not None else []
    if wants_html(request):
        return pages.render(
            request,
            "devtools/mail.html",
            {
                "page_title": "Development mailbox",
                "mails": mails,
                "running": mailbox is not None,
                "address": f"{settings.smtp_host}:{settings.smtp_port}",
            },
        )
    return [
        {
            "from": mail.sender,
            "to": list(mail.recipients),
            "subject": mail.subject,
            "text": mail.text,
            "receivedAt": iso_utc(mail.received_at),
        }
        for mail in mails
    ]
