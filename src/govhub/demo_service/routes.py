"""The demo service's pages: a start page, sign-in through govhub (two factors to start, a matched identity
to apply), the application, sign-out (RP-initiated logout at govhub) and back-channel logout."""

from __future__ import annotations

import logging
import secrets
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException

from govhub.demo_service.exchange import Eligibility, GatewayClient
from govhub.demo_service.keys import public_jwks
from govhub.demo_service.oidc import (
    IDENTITY_CHECKED,
    SIGNED_IN,
    UNREACHABLE,
    GovhubProvider,
    Level,
    SignInFailed,
)
from govhub.demo_service.sessions import COOKIE, Application, DemoSession, SessionStore, SignedInPerson
from govhub.demo_service.settings import DemoServiceSettings

logger = logging.getLogger("govhub.demo_service")

router = APIRouter(include_in_schema=False)

ZONES = {"A": "Zone A: town centre", "B": "Zone B: Riverside", "C": "Zone C: Northfields"}


def _settings(request: Request) -> DemoServiceSettings:
    settings: DemoServiceSettings = request.app.state.settings
    return settings


def _store(request: Request) -> SessionStore:
    store: SessionStore = request.app.state.sessions
    return store


def _gateway(request: Request) -> GatewayClient:
    gateway: GatewayClient = request.app.state.gateway
    return gateway


def _provider(request: Request) -> GovhubProvider:
    provider: GovhubProvider = request.app.state.provider
    return provider


def _render(
    request: Request, template: str, context: dict[str, Any] | None = None, **options: Any
) -> Response:
    session = _store(request).get(request.cookies.get(COOKIE))
    values = {
        "person": session.person if session else None,
        "csrf_token": session.csrf_token if session else "",
    }
    response: Response = request.app.state.pages.render(
        request, template, {**values, **(context or {})}, **options
    )
    return response


def _set_cookie(request: Request, response: Response, session: DemoSession) -> None:
    response.set_cookie(
        COOKIE,
        session.token,
        httponly=True,
        samesite="lax",  # sent on govhub's redirect back (a top-level GET), never on cross-site posts
        secure=_settings(request).secure_cookies,
        path="/",
    )


def _session_or_new(request: Request) -> DemoSession:
    return _store(request).get(request.cookies.get(COOKIE)) or _store(request).new()


def _checked_session(request: Request, csrf_token: str) -> DemoSession:
    session = _store(request).get(request.cookies.get(COOKIE))
    if session is None or not secrets.compare_digest(session.csrf_token, csrf_token):
        raise HTTPException(403, "Go back, refresh the page and try again.")
    return session


@router.get("/", response_class=HTMLResponse)
async def start_page(request: Request) -> Response:
    return _render(request, "start.html")


async def _send_to_govhub(request: Request, level: Level, return_to: str) -> Response:
    session = _session_or_new(request)
    try:
        url, pending = await _provider(request).authorization_url(level, return_to)
    except (SignInFailed, *UNREACHABLE) as error:
        logger.warning("cannot reach govhub to sign in: %s", error)
        return _render(request, "error.html", _unavailable(), status_code=503)
    # Keep the few most recent attempts only (a person may have two tabs open).
    for stale in list(session.pending)[:-4]:
        del session.pending[stale]
    session.pending[pending.state] = pending
    response = RedirectResponse(url, status_code=303)
    _set_cookie(request, response, session)
    return response


def _unavailable() -> dict[str, str]:
    return {
        "title": "Sorry, signing in is not available right now",
        "detail": "We could not reach govhub, where you sign in. Try again in a few minutes.",
    }


@router.get("/start")
async def start(request: Request) -> Response:
    """Starting needs a person signed in with two factors (`Cl.Cm`)."""
    session = _store(request).get(request.cookies.get(COOKIE))
    if session is not None and session.person is not None:
        return RedirectResponse("/apply", status_code=303)
    return await _send_to_govhub(request, SIGNED_IN, "/apply")


@router.get("/check-identity")
async def check_identity(request: Request) -> Response:
    """Applying needs a matched identity (`Cl.Cm.P2`): step up at govhub, which asks for what is missing."""
    return await _send_to_govhub(request, IDENTITY_CHECKED, "/apply")


@router.get("/callback")
async def callback(request: Request) -> Response:
    settings, store = _settings(request), _store(request)
    session = store.get(request.cookies.get(COOKIE))
    state = request.query_params.get("state", "")
    pending = session.take_pending(state) if session else None
    if session is None or pending is None:
        return _render(request, "sign_in_failed.html", {"reason": "expired"}, status_code=400)
    issuer = request.query_params.get("iss")
    if issuer is not None and issuer != settings.issuer_url:  # RFC 9207 mix-up defence
        return _render(request, "sign_in_failed.html", {"reason": "error"}, status_code=400)
    error = request.query_params.get("error")
    if error is not None:
        logger.info(
            "govhub answered the sign-in with %s: %s", error, request.query_params.get("error_description")
        )
        return _render(request, "sign_in_failed.html", {"reason": error}, status_code=400)
    provider = _provider(request)
    try:
        claims, token = await provider.complete(str(request.url), pending)
        userinfo = await provider.userinfo(token["access_token"])
    except (SignInFailed, *UNREACHABLE) as failure:
        logger.warning("sign-in through govhub failed: %s", failure)
        return _render(request, "sign_in_failed.html", {"reason": "error"}, status_code=400)
    if userinfo.get("sub") != claims["sub"]:  # OpenID Connect Core §5.3.2
        logger.warning("userinfo is about %r, the ID token about %r", userinfo.get("sub"), claims["sub"])
        return _render(request, "sign_in_failed.html", {"reason": "error"}, status_code=400)
    signed_in = store.renew(session)
    signed_in.application = session.application
    if session.person is not None and session.person.sub == claims["sub"]:
        signed_in.eligibility = session.eligibility
    signed_in.person = SignedInPerson(
        sub=claims["sub"],
        sid=claims.get("sid"),
        vot=str(claims.get("vot", pending.level.vtr)),
        id_token=token["id_token"],
        userinfo=userinfo,
        access_token=token.get("access_token"),
    )
    response = RedirectResponse(pending.return_to, status_code=303)
    _set_cookie(request, response, signed_in)
    return response


def _signed_in(request: Request) -> DemoSession | None:
    session = _store(request).get(request.cookies.get(COOKIE))
    return session if session is not None and session.person is not None else None


@router.get("/apply", response_class=HTMLResponse)
async def apply_page(request: Request) -> Response:
    session = _signed_in(request)
    if session is None or session.person is None:
        return RedirectResponse("/start", status_code=303)
    if session.application is not None:
        return RedirectResponse("/apply/done", status_code=303)
    eligibility = await _eligibility(request, session)
    return _render(
        request, "apply.html", {"zones": ZONES, "errors": {}, "values": {}, "eligibility": eligibility}
    )


async def _eligibility(request: Request, session: DemoSession) -> Eligibility | None:
    """The NHS trust's blue badge answer for the signed-in person, asked through govhub's gateway once per
    sign-in (again after a failure). None when there is no token of the person to ask with."""
    if session.eligibility is not None and session.eligibility.checked:
        return session.eligibility
    if session.person is None or not session.person.access_token:
        return None
    session.eligibility = await _gateway(request).eligibility(session.person.access_token)
    return session.eligibility


@router.post("/apply", response_class=HTMLResponse)
async def apply(
    request: Request,
    csrf_token: Annotated[str, Form()] = "",
    vehicle_registration: Annotated[str, Form(max_length=200)] = "",
    zone: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    session = _checked_session(request, csrf_token)
    if session.person is None:
        return RedirectResponse("/start", status_code=303)
    if not session.person.identity_checked:
        return RedirectResponse("/apply", status_code=303)
    registration = "".join(vehicle_registration.split()).upper()
    errors: dict[str, str] = {}
    if not registration:
        errors["vehicle_registration"] = "Enter your vehicle registration number"
    elif not registration.isalnum() or not 2 <= len(registration) <= 8:
        errors["vehicle_registration"] = "Enter a vehicle registration number like AB12 CDE"
    if zone not in ZONES:
        errors["zone"] = "Select the permit zone you live in"
    if errors:
        values = {"vehicle_registration": vehicle_registration, "zone": zone}
        context = {"zones": ZONES, "errors": errors, "values": values, "eligibility": session.eligibility}
        return _render(request, "apply.html", context, status_code=400)
    free = session.eligibility is not None and session.eligibility.free_permit
    session.application = Application(
        f"PP-{secrets.token_hex(3).upper()}", registration, ZONES[zone], free_permit=free
    )
    return RedirectResponse("/apply/done", status_code=303)


@router.get("/apply/done", response_class=HTMLResponse)
async def application_sent(request: Request) -> Response:
    session = _signed_in(request)
    if session is None or session.application is None:
        return RedirectResponse("/apply", status_code=303)
    return _render(request, "done.html", {"application": session.application})


@router.post("/sign-out")
async def sign_out(request: Request, csrf_token: Annotated[str, Form()] = "") -> Response:
    """Ends this service's session, then RP-initiated logout at govhub, which ends the govhub session and
    comes back to `/signed-out`."""
    session = _checked_session(request, csrf_token)
    _store(request).end(session)
    response: Response = RedirectResponse("/signed-out", status_code=303)
    if session.person is not None:
        try:
            url = await _provider(request).logout_url(session.person.id_token, secrets.token_urlsafe(16))
            response = RedirectResponse(url, status_code=303)
        except (SignInFailed, *UNREACHABLE) as error:
            logger.warning("cannot reach govhub to sign out there: %s", error)
    response.delete_cookie(COOKIE, path="/")
    return response


@router.get("/signed-out", response_class=HTMLResponse)
async def signed_out(request: Request) -> Response:
    return _render(request, "signed_out.html")


@router.post("/backchannel-logout")
async def backchannel_logout(request: Request, logout_token: Annotated[str, Form()] = "") -> Response:
    """OpenID Connect Back-Channel Logout 1.0 §2.5: govhub posts a signed logout token; this ends the
    sessions it names and answers 200, or 400 with an OAuth error body when the token does not check."""
    headers = {"Cache-Control": "no-store"}
    if not logout_token:
        body = {"error": "invalid_request", "error_description": "logout_token is missing"}
        return JSONResponse(body, status_code=400, headers=headers)
    try:
        claims = await _provider(request).verify_logout_token(logout_token)
    except SignInFailed as error:
        return JSONResponse({"error": "invalid_request", "error_description": str(error)}, 400, headers)
    except UNREACHABLE as error:
        # The keys could not be fetched to check the token: a 5xx, so that govhub tries again later.
        logger.warning("back-channel logout not checked, govhub's keys unreachable: %s", error)
        return JSONResponse({"error": "temporarily_unavailable"}, 503, headers)
    ended = _store(request).end_signed_in(sid=claims.get("sid"), sub=claims.get("sub"))
    logger.info("back-channel logout from govhub: sid %s, %d sessions ended", claims.get("sid"), ended)
    return Response(status_code=200, headers=headers)


@router.get("/jwks.json")
async def jwks(request: Request) -> JSONResponse:
    return JSONResponse(public_jwks(request.app.state.key), headers={"Cache-Control": "public, max-age=300"})


@router.get("/brand.css")
async def brand_stylesheet(request: Request) -> Response:
    css = f":root {{ --govuk-brand-colour: {_settings(request).brand_colour}; }}\n"
    return Response(css, media_type="text/css")


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "alive"}
