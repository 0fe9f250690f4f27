"""Request body size limit: refuse bodies larger than the setting with a 413 problem, before reading them
into memory where `Content-Length` says so, and while streaming where it does not."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from govhub.kit.problems import problem_response, status_title


class RequestBodyTooLarge(HTTPException):
    """An HTTPException so FastAPI's body parsing passes it through untouched to the problem handler."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"The request body is larger than the limit of {limit} bytes.")
        self.limit = limit


class BodySizeLimitMiddleware:
    """`exempt_prefixes`: paths whose routes enforce the limit themselves, so they can answer in their own
    protocol's terms and record the refusal (the exchange gateway: an X-Road error, in its message log)."""

    def __init__(self, app: ASGIApp, max_body_bytes: int, exempt_prefixes: tuple[str, ...] = ()) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.exempt_prefixes = exempt_prefixes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(self.exempt_prefixes):
            await self.app(scope, receive, send)
            return
        declared = _declared_length(scope)
        if declared is not None and declared > self.max_body_bytes:
            # Refused before the body is read at all, whether or not the route would have read it.
            refusal = RequestBodyTooLarge(self.max_body_bytes)
            response = problem_response(
                Request(scope), status=413, title=status_title(413), detail=str(refusal.detail)
            )
            await response(scope, receive, send)
            return

        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body_bytes:
                    raise RequestBodyTooLarge(self.max_body_bytes)
            return message

        await self.app(scope, counting_receive, send)


def _declared_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None
