"""The traffic pages: the message log as a member administrator sees it (`/members/yours/traffic`, the
exchanges of the members they administer, as the client and as the provider) and as a platform
administrator sees it (`/members/admin/traffic`, every exchange, or one member's). A summary per service
and direction over the last 24 hours or 7 days, then the exchanges newest first, each linking to its public
inclusion proof. Filters are a GET form, so the pages work without JavaScript and a filtered view can be
bookmarked.

Who reads what is decided in `govhub.exchange.readable_members`; a page only checks sign-in first
(nobody: sign in; a platform administrator: with two factors)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from starlette.responses import Response

from govhub.dependencies import DbSession, PageRenderer
from govhub.exchange import (
    AS_CLIENT,
    AS_PROVIDER,
    DEFAULT_TRAFFIC_PAGE,
    TrafficEntry,
    TrafficFilter,
    TrafficService,
    administered_members,
    readable_members,
    traffic_filter,
)
from govhub.identity import sign_in_url
from govhub.kit.clock import utcnow
from govhub.kit.forms import redirect, render_page
from govhub.kit.routing import api_router
from govhub.members.membership.access import Caller
from govhub.members.page_support import platform_admin_or_redirect
from govhub.members.repository import PLATFORM, Viewer

router = api_router(include_in_schema=False)

YOURS_TRAFFIC = "/members/yours/traffic"
ADMIN_TRAFFIC = "/members/admin/traffic"
#: The query parameters the pages read; any other is ignored.
_PARAMETERS = ("member", "direction", "outcome", "before", "limit", "window")
DIRECTION_LABELS = {"": "Both", AS_CLIENT: "As the client", AS_PROVIDER: "As the provider"}
OUTCOME_LABELS = {"": "Any", "ok": "OK", "refused": "Refused by the gateway", "failed": "Failed"}
WINDOW_LABELS = {"24h": "Last 24 hours", "7d": "Last 7 days"}
_SIDE_NAMES = {AS_CLIENT: "Client", AS_PROVIDER: "Provider"}


def _items(labels: dict[str, str], selected: str | None) -> list[dict[str, Any]]:
    """A GOV.UK select's items, the chosen one selected."""
    return [
        {"value": value, "text": text, "selected": value == (selected or "")}
        for value, text in labels.items()
    ]


def sides_text(entry: TrafficEntry) -> str:
    return " and ".join(_SIDE_NAMES[side] for side in entry.sides)


def proof_href(message_id: str) -> str:
    # Message ids are letters, digits and `._:-` only (`exchange.service.MESSAGE_ID`): safe in a path.
    return f"/exchange/records/{message_id}/proof"


def _chosen(request: Request) -> TrafficFilter:
    return traffic_filter(**{name: request.query_params.get(name) for name in _PARAMETERS})


def _href(path: str, chosen: TrafficFilter, **changes: Any) -> str:
    values = {
        "member": chosen.member,
        "direction": chosen.direction,
        "outcome": chosen.outcome,
        "window": chosen.window,
        "limit": chosen.limit if chosen.limit != DEFAULT_TRAFFIC_PAGE else None,
        **changes,
    }
    query = urlencode({name: value for name, value in values.items() if value is not None})
    return f"{path}?{query}" if query else path


async def _page(
    request: Request,
    db: DbSession,
    pages: PageRenderer,
    viewer: Viewer,
    *,
    path: str,
    title: str,
    back: tuple[str, str],
) -> Response:
    chosen = _chosen(request)
    members = await readable_members(db, viewer, chosen.member)
    service = TrafficService(db)
    listed = await service.page(members, chosen)
    summary = await service.summary(members, chosen.window, utcnow())
    context: dict[str, Any] = {
        "page_title": title,
        "path": path,
        "chosen": chosen,
        "entries": listed.entries,
        "summary": summary,
        "everyone": members is None,
        # A platform administrator names any member (the log outlives members); a member administrator
        # picks one of theirs.
        "own_members": [] if viewer.platform_admin else await administered_members(db, viewer),
        "older": _href(path, chosen, before=listed.next_before) if listed.next_before is not None else None,
        "newest": _href(path, chosen) if chosen.before is not None else None,
        "direction_items": _items(DIRECTION_LABELS, chosen.direction),
        "outcome_items": _items(OUTCOME_LABELS, chosen.outcome),
        "window_items": _items(WINDOW_LABELS, chosen.window),
        "window_label": WINDOW_LABELS[chosen.window],
        "sides_text": sides_text,
        # In the summary, "" is every exchange (no member chosen), not "both sides".
        "direction_labels": {**DIRECTION_LABELS, "": "All"},
        "back_href": back[0],
        "back_text": back[1],
        "proof_href": proof_href,
    }
    return render_page(pages, request, "members/traffic.html", context)


@router.get(YOURS_TRAFFIC)
async def yours_traffic_page(
    request: Request, caller: Caller, db: DbSession, pages: PageRenderer
) -> Response:
    if caller.person is None:
        return redirect(sign_in_url(YOURS_TRAFFIC))
    # Their own members' traffic, even for a platform administrator: the whole network is on the admin page.
    return await _page(
        request,
        db,
        pages,
        caller.own,
        path=YOURS_TRAFFIC,
        title="Your members' traffic",
        back=("/members/yours", "Your applications and members"),
    )


@router.get(ADMIN_TRAFFIC)
async def admin_traffic_page(
    request: Request, caller: Caller, db: DbSession, pages: PageRenderer
) -> Response:
    if (refused := platform_admin_or_redirect(caller, ADMIN_TRAFFIC)) is not None:
        return refused
    return await _page(
        request,
        db,
        pages,
        PLATFORM,
        path=ADMIN_TRAFFIC,
        title="Traffic between members",
        back=("/members/admin/members", "Members"),
    )
