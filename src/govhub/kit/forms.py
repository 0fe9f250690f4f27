"""What every block's pages share when they read a posted form and answer it: one reading of a field, one
redirect after a post, one error summary, and pages no cache keeps.

The GOV.UK pattern for a form with errors: the page again, answered 422, its title starting "Error: ", an
error summary first whose entries link to the fields, and each field marked. Blocks add only what is theirs
(who may see the page, which mail to send)."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import RedirectResponse
from starlette.datastructures import FormData
from starlette.responses import Response

from govhub.kit.templating import Pages

#: Longest value read from a one-line field; a longer one is refused as a field error, not a crash.
MAX_FIELD = 1000
#: Pages carry CSRF tokens, secrets and other people's details: no cache, shared or private, keeps a copy.
NO_STORE = {"Cache-Control": "no-store"}


def field(form: FormData, name: str, limit: int = MAX_FIELD) -> str:
    """The field's value ("" when absent or a file), cut one past `limit` so that a length check still sees
    that it is too long, and nothing larger is carried further."""
    value = form.get(name)
    return value[: limit + 1] if isinstance(value, str) else ""


def redirect(location: str) -> RedirectResponse:
    """After a successful post: 303, so that the browser fetches the next page with GET."""
    return RedirectResponse(location, status_code=303)


def error_list(errors: dict[str, str]) -> list[dict[str, str]]:
    """The GOV.UK error summary's list: each message linking to its field."""
    return [{"text": message, "href": f"#{name}"} for name, message in errors.items()]


def render_page(
    pages: Pages,
    request: Request,
    template: str,
    context: dict[str, Any],
    *,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    """A page no cache keeps; with `errors`, the error summary and the fields marked, and "Error: " before
    the title (so that a screen reader hears it first)."""
    errors = errors or {}
    title = context.get("page_title")
    if errors and isinstance(title, str):
        context = {**context, "page_title": "Error: " + title}
    return pages.render(
        request,
        template,
        {**context, "errors": errors, "error_list": error_list(errors)},
        status_code=status_code,
        headers={**NO_STORE, **(headers or {})},
    )


def form_page(
    pages: Pages,
    request: Request,
    template: str,
    context: dict[str, Any],
    errors: dict[str, str] | None = None,
) -> Response:
    """A form page: 200 when first shown, 422 with the error summary when what was posted is refused."""
    return render_page(pages, request, template, context, errors=errors, status_code=422 if errors else 200)
