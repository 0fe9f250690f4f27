"""`/authorize` through HTTP on the backend under test: bad requests refused (on a page when the client or
redirect URI cannot be trusted, at the redirect URI otherwise), and the journey through sign-in, step-up,
identity proving and consent to a code."""

from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from govhub.config import Settings
from govhub.identity.accounts.models import Account
from govhub.identity.accounts.signed_in import SignedIn
from govhub.identity.oidc.authorize.service import Authorizations, Redirect, check_parameters
from govhub.identity.oidc.models import AuthorizationCode, ClientSession, ConsentGrant, PendingAuthorization
from govhub.kit.secret_digest import secret_digest
from tests.functional.identity.account_support import (
    create_citizen,
    csrf_of,
    fresh_code,
    hidden_fields,
    sign_in,
    submit,
)
from tests.functional.identity.oidc.authorize_support import (
    ISSUER,
    REDIRECT_URI,
    authorization_parameters,
    authorize_url,
    create_relying_party,
    location_path,
    returned,
)

HTML = {"Accept": "text/html"}


async def test_an_unknown_client_gets_a_page_and_no_redirect(client: httpx.AsyncClient) -> None:
    response = await client.get(authorize_url("no-such-service"), headers=HTML)
    assert response.status_code == 400
    assert "location" not in response.headers
    assert "The service is not recognised" in response.text


async def test_a_wrong_redirect_uri_gets_a_page_and_no_redirect(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    await create_relying_party(session)
    for wrong in (
        "https://evil.example/callback",
        REDIRECT_URI + "/",
        REDIRECT_URI + "?next=https://evil.example",
        REDIRECT_URI.replace("https", "http"),
        "",
    ):
        response = await client.get(authorize_url(redirect_uri=wrong), headers=HTML)
        assert response.status_code == 400, wrong
        assert "location" not in response.headers
        assert "evil.example" not in response.headers.get("refresh", "")
    assert "not one it registered" in response.text or "where to return to" in response.text


async def test_a_disabled_client_gets_a_page(client: httpx.AsyncClient, session: AsyncSession) -> None:
    from govhub.kit.clock import utcnow  # noqa: PLC0415

    await create_relying_party(session, disabled_at=utcnow())
    response = await client.get(authorize_url(), headers=HTML)
    assert response.status_code == 400
    assert "location" not in response.headers


async def test_pkce_is_required_and_only_s256(client: httpx.AsyncClient, session: AsyncSession) -> None:
    await create_relying_party(session)
    missing = returned(
        await client.get(authorize_url(code_challenge=None, code_challenge_method=None, state="s1"))
    )
    assert missing == {
        "error": "invalid_request",
        "error_description": "code_challenge is required (PKCE, RFC 7636, with S256)",
        "state": "s1",
        "iss": ISSUER,
    }
    plain = returned(await client.get(authorize_url(code_challenge_method="plain")))
    assert plain["error"] == "invalid_request"
    assert "S256" in plain["error_description"]
    no_method = returned(await client.get(authorize_url(code_challenge_method=None)))
    assert no_method["error"] == "invalid_request"
    short = returned(await client.get(authorize_url(code_challenge="too-short")))
    assert short["error"] == "invalid_request"


async def test_scopes_must_be_known_allowed_and_include_openid(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    await create_relying_party(session, allowed_scopes=["openid", "email"])
    unknown = returned(await client.get(authorize_url(scope="openid payroll")))
    assert unknown["error"] == "invalid_scope"
    assert "payroll" in unknown["error_description"]
    not_allowed = returned(await client.get(authorize_url(scope="openid business")))
    assert not_allowed["error"] == "invalid_scope"
    assert "not registered for the scope business" in not_allowed["error_description"]
    no_openid = returned(await client.get(authorize_url(scope="email")))
    assert no_openid["error"] == "invalid_scope"


async def test_other_bad_parameters_go_back_to_the_client(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    await create_relying_party(session)
    cases: dict[str, dict[str, str | None]] = {
        "unsupported_response_type": {"response_type": "token"},
        "invalid_request": {"state": None},
        "request_not_supported": {"request": "eyJhbGciOiJub25lIn0.e30."},
    }
    for error, overrides in cases.items():
        answer = returned(await client.get(authorize_url(**overrides)))
        assert answer["error"] == error, overrides
        assert answer["iss"] == ISSUER
    rejected: list[dict[str, str | None]] = [
        {"nonce": None},
        {"prompt": "none login"},
        {"max_age": "soon"},
        {"claims": "[1]"},
        {"dpop_jkt": "not a thumbprint"},
        {"response_mode": "fragment"},
    ]
    for overrides in rejected:
        answer = returned(await client.get(authorize_url(**overrides)))
        assert answer["error"] == "invalid_request", overrides
    repeated = await client.get(authorize_url() + "&scope=openid")
    assert returned(repeated)["error"] == "invalid_request"
    assert "scope sent more than once" in returned(repeated)["error_description"]


async def test_a_level_the_client_is_not_registered_for_is_refused(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    await create_relying_party(session, allowed_levels=["Cl", "Cl.Cm"])
    by_vtr = returned(await client.get(authorize_url(vtr='["Cl.Cm.P2"]')))
    assert by_vtr["error"] == "invalid_request"
    assert "not registered for the level Cl.Cm.P2" in by_vtr["error_description"]
    by_acr = returned(await client.get(authorize_url(acr_values="urn:acr.login.gov:verified")))
    assert by_acr["error"] == "invalid_request"
    unknown = returned(await client.get(authorize_url(vtr='["Cl.Cm.P7"]')))
    assert unknown["error"] == "invalid_request"
    identity_without_p2 = returned(await client.get(authorize_url(scope="openid identity")))
    assert identity_without_p2["error"] == "invalid_scope"


async def test_prompt_none_when_signed_out_is_login_required(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    await create_relying_party(session)
    answer = returned(await client.get(authorize_url(prompt="none", state="quiet")))
    assert answer["error"] == "login_required"
    assert answer["state"] == "quiet"
    # The journey ended with the error: nothing is left pending.
    assert (await session.scalars(select(PendingAuthorization))).all() == []


async def _journey_to_consent(client: httpx.AsyncClient, url: str, citizen: object) -> httpx.Response:
    """Signed out at first: /authorize sends the browser to sign in, which comes back to the journey."""
    start = await client.get(url)
    sign_in_location = location_path(start)
    assert sign_in_location.startswith("/sign-in?")
    query = parse_qs(urlsplit(sign_in_location).query)
    return_to, level = query["return_to"][0], query["level"][0]
    assert return_to.startswith("/authorize/continue?request_uri=")
    assert level == "Cl.Cm"
    page = await client.get(sign_in_location)
    assert page.status_code == 200
    signed = await client.post(
        "/sign-in",
        data={
            "csrf_token": csrf_of(page.text),
            "email": citizen.email,  # type: ignore[attr-defined]
            "password": citizen.password,  # type: ignore[attr-defined]
            "return_to": return_to,
            "level": level,
        },
    )
    code_page_path = location_path(signed)
    from tests.functional.identity.account_support import fresh_code  # noqa: PLC0415

    code_page = await client.get(code_page_path)
    coded = await client.post(
        code_page_path.split("?")[0],
        data={
            "csrf_token": csrf_of(code_page.text),
            "code": fresh_code(citizen.secret),  # type: ignore[attr-defined]
            "return_to": return_to,
            "level": level,
        },
    )
    assert location_path(coded) == return_to
    return await client.get(return_to)


async def test_sign_in_consent_and_a_code(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    await create_relying_party(session)
    citizen = await create_citizen(session, settings)
    parameters = authorization_parameters(scope="openid email", state="journey-1")
    consent_page = await _journey_to_consent(client, authorize_url(**parameters), citizen)
    assert consent_page.status_code == 200
    assert consent_page.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in consent_page.headers["content-security-policy"].split("; ")
    assert consent_page.headers["cache-control"] == "no-store"
    text = consent_page.text
    assert "Apply for a resident parking permit" in text
    assert "Anytown Council" in text
    assert "Your email address" in text
    assert "To check who you are and send you your permit." in text
    request_uri = text.split('name="request_uri" value="')[1].split('"')[0]
    allowed = await client.post(
        "/authorize/consent",
        data={"csrf_token": csrf_of(text), "request_uri": request_uri, "decision": "allow"},
    )
    answer = returned(allowed)
    assert set(answer) == {"code", "state", "iss"}
    assert answer["state"] == "journey-1"
    assert answer["iss"] == ISSUER

    code = await session.scalar(
        select(AuthorizationCode).where(AuthorizationCode.code_hash == secret_digest(answer["code"]))
    )
    assert code is not None
    assert code.vot == "Cl.Cm"
    assert code.requested_by_vtr
    assert code.acr is None
    assert code.scope == "openid email"
    assert code.nonce == parameters["nonce"]
    assert code.code_challenge == parameters["code_challenge"]
    assert code.redirect_uri == REDIRECT_URI
    assert (code.expires_at - code.created_at).total_seconds() == 60
    client_session = await session.scalar(select(ClientSession).where(ClientSession.sid == code.sid))
    assert client_session is not None
    assert client_session.client_id == "parking-permits"
    grant = await session.scalar(select(ConsentGrant))
    assert grant is not None
    assert grant.scopes == ["email"]

    # Remembered: the same data again goes straight back with a code.
    again = returned(await client.get(authorize_url(scope="openid email")))
    assert "code" in again
    # New data asked for: asked again, for that data only.
    asked = await client.get(authorize_url(scope="openid email business"))
    assert asked.status_code == 200
    assert "The organisations you represent" in asked.text
    assert "Your email address" not in asked.text
    # The handle the consent page used is spent: the journey cannot be replayed.
    replay = await client.get("/authorize/continue?request_uri=" + request_uri, headers=HTML)
    assert replay.status_code == 400
    assert "location" not in replay.headers


async def test_refusing_consent_is_access_denied(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    await create_relying_party(session)
    citizen = await create_citizen(session, settings)
    consent_page = await _journey_to_consent(client, authorize_url(state="no-thanks"), citizen)
    request_uri = consent_page.text.split('name="request_uri" value="')[1].split('"')[0]
    refused = await client.post(
        "/authorize/consent",
        data={"csrf_token": csrf_of(consent_page.text), "request_uri": request_uri, "decision": "refuse"},
    )
    assert returned(refused) == {
        "error": "access_denied",
        "error_description": "the person refused to share their data",
        "state": "no-thanks",
        "iss": ISSUER,
    }
    assert (await session.scalars(select(ConsentGrant))).all() == []
    assert (await session.scalars(select(AuthorizationCode))).all() == []


async def test_the_consent_form_is_protected_from_csrf(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    await create_relying_party(session)
    citizen = await create_citizen(session, settings)
    consent_page = await _journey_to_consent(client, authorize_url(), citizen)
    request_uri = consent_page.text.split('name="request_uri" value="')[1].split('"')[0]
    for token in (None, "0" * 64):
        data = {"request_uri": request_uri, "decision": "allow", **({"csrf_token": token} if token else {})}
        forged = await client.post("/authorize/consent", data=data, headers=HTML)
        assert forged.status_code == 403
        assert "location" not in forged.headers
    assert (await session.scalars(select(ConsentGrant))).all() == []
    assert (await session.scalars(select(AuthorizationCode))).all() == []


async def test_prompt_none_with_consent_missing_is_consent_required(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    await create_relying_party(session)
    citizen = await create_citizen(session, settings)
    await sign_in(client, citizen)
    answer = returned(await client.get(authorize_url(prompt="none", scope="openid email")))
    assert answer["error"] == "consent_required"
    # openid alone needs no consent: a silent sign-in works.
    assert "code" in returned(await client.get(authorize_url(prompt="none", scope="openid")))


async def test_step_up_sends_a_one_factor_session_to_the_second_factor(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    await create_relying_party(session)
    citizen = await create_citizen(session, settings, with_app=False)
    await sign_in(client, citizen)
    # One factor is enough when asked for.
    one = returned(await client.get(authorize_url(vtr='["Cl"]', scope="openid")))
    code = await session.scalar(
        select(AuthorizationCode).where(AuthorizationCode.code_hash == secret_digest(one["code"]))
    )
    assert code is not None
    assert code.vot == "Cl"
    # Two factors asked: to the second factor, then back to the journey.
    step_up = location_path(await client.get(authorize_url(vtr='["Cl.Cm"]', scope="openid")))
    query = parse_qs(urlsplit(step_up).query)
    assert step_up.startswith("/sign-in?")
    assert query["level"] == ["Cl.Cm"]
    assert query["return_to"][0].startswith("/authorize/continue?request_uri=")
    onward = location_path(await client.get(step_up))
    assert onward.startswith(("/sign-in/code", "/account/authenticator"))
    silent = returned(await client.get(authorize_url(vtr='["Cl.Cm"]', scope="openid", prompt="none")))
    assert silent["error"] == "login_required"


async def test_asking_for_p2_sends_the_person_to_prove_their_identity(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    await create_relying_party(session)
    citizen = await create_citizen(session, settings)
    await sign_in(client, citizen)
    proving = location_path(await client.get(authorize_url(vtr='["Cl.Cm.P2"]', scope="openid")))
    assert proving.startswith("/account/prove-identity?")
    assert parse_qs(urlsplit(proving).query)["return_to"][0].startswith("/authorize/continue?request_uri=")


async def test_a_proven_identity_gets_a_p2_code_by_acr_values(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    await create_relying_party(session)
    citizen = await create_citizen(session, settings, identity_level="P2")
    await sign_in(client, citizen)
    consent = await client.get(
        authorize_url(
            acr_values="urn:acr.login.gov:verified",
            scope="openid identity",
            claims='{"id_token": {"x": null}}',
        )
    )
    assert consent.status_code == 200
    assert "Your name and date of birth" in consent.text
    request_uri = consent.text.split('name="request_uri" value="')[1].split('"')[0]
    answer = returned(
        await client.post(
            "/authorize/consent",
            data={"csrf_token": csrf_of(consent.text), "request_uri": request_uri, "decision": "allow"},
        )
    )
    code = await session.scalar(
        select(AuthorizationCode).where(AuthorizationCode.code_hash == secret_digest(answer["code"]))
    )
    assert code is not None
    assert code.vot == "Cl.Cm.P2"
    assert code.acr == "urn:acr.login.gov:verified"
    assert not code.requested_by_vtr
    assert code.claims == {"id_token": {"x": None}}


async def test_post_works_like_get(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    await create_relying_party(session)
    citizen = await create_citizen(session, settings)
    await sign_in(client, citizen)
    answer = returned(
        await client.post("/authorize", data=authorization_parameters(scope="openid", dpop_jkt="A" * 43))
    )
    code = await session.scalar(
        select(AuthorizationCode).where(AuthorizationCode.code_hash == secret_digest(answer["code"]))
    )
    assert code is not None
    assert code.dpop_jkt == "A" * 43


async def test_prompt_login_asks_for_a_fresh_sign_in(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    await create_relying_party(session)
    citizen = await create_citizen(session, settings)
    await sign_in(client, citizen)
    again = location_path(await client.get(authorize_url(prompt="login", scope="openid", state="again")))
    assert again.startswith("/sign-in?")
    assert "prompt=login" in again
    # The form is shown although this browser is signed in, and signing in again finishes the journey.
    sign_in_page = await client.get(again)
    assert sign_in_page.status_code == 200
    fields = {"email": citizen.email, "password": citizen.password}
    password = await client.post("/sign-in", data={**hidden_fields(sign_in_page.text, "/sign-in"), **fields})
    assert password.status_code == 303
    assert citizen.secret is not None
    code_page = location_path(password)
    # The next time step's code: the one used to sign in first is never accepted twice.
    done = await submit(client, code_page, "/sign-in/code", {"code": fresh_code(citizen.secret, ahead=1)})
    answer = returned(await client.get(location_path(done)))
    assert answer["state"] == "again"
    assert "code" in answer
    aged = location_path(await client.get(authorize_url(max_age="0", scope="openid")))
    assert aged.startswith("/sign-in?")


async def test_the_trustmark_lists_what_vectors_may_say(client: httpx.AsyncClient) -> None:
    response = await client.get("/trustmark")
    assert response.status_code == 200
    assert response.json() == {
        "idp": ISSUER,
        "trustmark_provider": ISSUER,
        "C": ["Cl", "Cl.Cm"],
        "P": ["P0", "P1", "P2"],
    }


async def test_the_consent_answer_is_the_signed_in_persons_own(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    """An unknown journey or answer is refused; signed out meanwhile, the answer is not taken and the
    browser goes to sign in again."""
    await create_relying_party(session)
    citizen = await create_citizen(session, settings)
    consent_page = await _journey_to_consent(client, authorize_url(), citizen)
    request_uri = consent_page.text.split('name="request_uri" value="')[1].split('"')[0]
    token = csrf_of(consent_page.text)
    unanswered = await client.post(
        "/authorize/consent",
        data={"csrf_token": token, "request_uri": "made-up", "decision": "allow"},
        headers=HTML,
    )
    assert unanswered.status_code == 400
    undecided = await client.post(
        "/authorize/consent",
        data={"csrf_token": token, "request_uri": request_uri, "decision": "maybe"},
        headers=HTML,
    )
    assert undecided.status_code == 400
    client.cookies.delete("govhub_session")
    signed_out = await client.post(
        "/authorize/consent", data={"csrf_token": token, "request_uri": request_uri, "decision": "allow"}
    )
    assert location_path(signed_out).startswith("/sign-in?")
    assert (await session.scalars(select(ConsentGrant))).all() == []
    assert (await session.scalars(select(AuthorizationCode))).all() == []


def _signed_in_at(account: Account, moment: datetime) -> SignedIn:
    return SignedIn(account.id, account.public_id, account.email, "s" * 43, "Cl.Cm", "P0", moment)


async def test_a_fresh_sign_in_satisfies_prompt_login_and_max_age(
    session: AsyncSession, settings: Settings
) -> None:
    """The journey's rule, with the session as the sign-in pages would leave it: signed in before the
    request is not enough; signed in again during the journey is."""
    client = await create_relying_party(session)
    await create_citizen(session, settings)
    account = (await session.scalars(select(Account))).one()
    service = Authorizations(session, ISSUER)
    for overrides in ({"prompt": "login"}, {"max_age": "0"}, {"max_age": "60"}):
        pending = await service.begin(
            client, check_parameters(client, authorization_parameters(scope="openid", **overrides))
        )

        before = pending.created_at - timedelta(minutes=5)
        stale = await service.proceed(pending, client, _signed_in_at(account, before))
        assert isinstance(stale, Redirect)
        assert stale.url.startswith("/sign-in?")
        fresh = await service.proceed(
            pending, client, _signed_in_at(account, pending.created_at + timedelta(seconds=1))
        )
        assert isinstance(fresh, Redirect)
        assert fresh.url.startswith(REDIRECT_URI + "?code="), overrides
