"""Security keys as a second factor, through the pages with real WebAuthn responses (a software key with a
real P-256 key, `tests/support/webauthn_authenticator.py`): adding a key from the account page, signing in
with it in place of the code, removing it; and everything that must be refused with nothing written:
another origin or RP id, another page's or a used challenge, an expired one, an unknown key, another
account's key, a counter that went back, a bad signature, unreadable JSON, no CSRF field, no sign-in."""

from __future__ import annotations

import html
import json
import re
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from govhub.config import Settings
from govhub.identity.accounts import throttle
from govhub.identity.accounts.models import Account, SignInSession
from govhub.identity.security_keys.models import SecurityKey, WebAuthnChallenge
from govhub.identity.security_keys.service import relying_party
from govhub.kit.clock import utcnow
from tests.functional.identity.account_support import Citizen, create_citizen, hidden_fields, sign_in, submit
from tests.support.webauthn_authenticator import SoftwareAuthenticator, b64url, from_b64url

ADD_PAGE = "/account/security-keys/new"
KEY_PAGE = "/sign-in/security-key?return_to=%2Faccount&level=Cl"


def _options(page: str) -> str:
    found = re.search(r'data-options="([^"]*)"', page)
    assert found is not None, "the page carries no WebAuthn options"
    return html.unescape(found.group(1))


def _authenticator(settings: Settings) -> SoftwareAuthenticator:
    rp_id, origin = relying_party(settings)
    return SoftwareAuthenticator(rp_id=rp_id, origin=origin)


async def _add_key(
    client: httpx.AsyncClient, key: SoftwareAuthenticator, name: str = "Blue key", **bend: str
) -> httpx.Response:
    """Opens the add-a-key page, lets the key answer its options (bent as asked), posts the form."""
    page = await client.get(ADD_PAGE)
    assert page.status_code == 200, page.text
    credential = key.register(_options(page.text), **bend)
    fields = hidden_fields(page.text, "/account/security-keys")
    return await client.post(
        "/account/security-keys", data={**fields, "name": name, "credential": credential}
    )


async def _password_only(client: httpx.AsyncClient, citizen: Citizen) -> None:
    """Signs in with the password: the session then awaits its second factor."""
    answer = await submit(
        client, "/sign-in", "/sign-in", {"email": citizen.email, "password": citizen.password}
    )
    assert answer.headers["location"].startswith("/sign-in/code")


async def _use_key(client: httpx.AsyncClient, key: SoftwareAuthenticator, **bend: object) -> httpx.Response:
    page = await client.get(KEY_PAGE)
    assert page.status_code == 200, page.text
    credential = key.sign_in(_options(page.text), **bend)  # type: ignore[arg-type]
    fields = hidden_fields(page.text, "/sign-in/security-key")
    return await client.post("/sign-in/security-key", data={**fields, "credential": credential})


async def _keys(session: AsyncSession) -> list[SecurityKey]:
    return list(await session.scalars(select(SecurityKey).execution_options(populate_existing=True)))


async def _levels(session: AsyncSession) -> list[str | None]:
    rows = await session.scalars(select(SignInSession).execution_options(populate_existing=True))
    return [row.auth_level for row in rows]


@pytest.fixture
async def ann(session: AsyncSession, settings: Settings) -> Citizen:
    return await create_citizen(session, settings)


@pytest.fixture
async def with_key(client: httpx.AsyncClient, ann: Citizen, settings: Settings) -> SoftwareAuthenticator:
    """Ann, with a key added, signed out and then in again with her password only."""
    key = _authenticator(settings)
    await sign_in(client, ann)
    added = await _add_key(client, key)
    assert added.status_code == 303, added.text
    await submit(client, "/account", "/sign-out", {})
    await _password_only(client, ann)
    return key


# --- the journey -----------------------------------------------------------------------------------------


async def test_add_a_key_then_sign_in_with_it_instead_of_a_code(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, ann: Citizen
) -> None:
    key = _authenticator(settings)
    await sign_in(client, ann)
    account = await client.get("/account")
    assert 'href="/account/security-keys/new"' in account.text
    page = await client.get(ADD_PAGE)
    options = json.loads(_options(page.text))
    rp_id, _ = relying_party(settings)
    assert options["rp"] == {"id": rp_id, "name": settings.brand_name}
    assert options["attestation"] == "none"
    assert "needs JavaScript" in page.text  # shown until the script finds WebAuthn
    assert '<script type="module" src="/assets/security-key.js"></script>' in page.text

    added = await _add_key(client, key, name="  Blue   key on my keyring ")
    assert added.status_code == 303
    assert added.headers["location"] == "/account"
    [kept] = await _keys(session)
    assert kept.credential_id == key.credential_id_b64
    assert kept.public_key == key.cose_public_key()
    assert (kept.sign_count, kept.transports, kept.name) == (0, "usb", "Blue key on my keyring")
    assert kept.last_used_at is None
    listed = await client.get("/account")
    assert "Blue key on my keyring" in listed.text
    assert "Remove this key" in listed.text
    # Offered again, the same key is excluded, so the browser says it is registered already.
    again = await client.get(ADD_PAGE)
    assert key.credential_id_b64 in [d["id"] for d in json.loads(_options(again.text))["excludeCredentials"]]

    await submit(client, "/account", "/sign-out", {})
    answer = await submit(client, "/sign-in", "/sign-in", {"email": ann.email, "password": ann.password})
    code_page = await client.get(answer.headers["location"])
    assert 'href="/sign-in/security-key?return_to=%2Faccount&amp;level=Cl"' in code_page.text
    key_page = await client.get(KEY_PAGE)
    assert key_page.status_code == 200
    assert 'href="/sign-in/code?return_to=%2Faccount&amp;level=Cl">Use a code instead' in key_page.text
    request_options = json.loads(_options(key_page.text))
    assert request_options["rpId"] == rp_id
    assert [d["id"] for d in request_options["allowCredentials"]] == [key.credential_id_b64]
    assert request_options["userVerification"] == "discouraged"

    signed_in = await _use_key(client, key)
    assert signed_in.status_code == 303
    assert signed_in.headers["location"] == "/account"
    assert "govhub_session=" in signed_in.headers["set-cookie"]  # a new token for the raised session
    assert await _levels(session) == ["Cl.Cm"]
    [used] = await _keys(session)
    assert used.sign_count == 1
    assert used.last_used_at is not None
    assert "Password and code" in (await client.get("/account")).text
    assert (await client.get(KEY_PAGE)).headers["location"] == "/account"  # nothing left to do


async def test_the_code_page_offers_a_key_only_to_an_account_with_one(
    client: httpx.AsyncClient, ann: Citizen
) -> None:
    await _password_only(client, ann)
    code_page = await client.get("/sign-in/code")
    assert "/sign-in/security-key" not in code_page.text
    no_key = await client.get(KEY_PAGE)
    assert no_key.status_code == 303
    assert no_key.headers["location"].startswith("/sign-in/code")


@pytest.mark.usefixtures("with_key")
async def test_the_key_pages_say_a_key_needs_javascript_and_offer_the_code(client: httpx.AsyncClient) -> None:
    page = await client.get(KEY_PAGE)
    assert "Using a security key needs JavaScript" in page.text
    assert re.search(r'<form method="post" action="/sign-in/security-key" novalidate hidden', page.text)
    assert "Use a code instead" in page.text
    script = await client.get("/assets/security-key.js")
    assert script.status_code == 200
    assert "javascript" in script.headers["content-type"]
    assert "navigator.credentials.get" in script.text


# --- registration refused, nothing kept -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("bend", "message"),
    [
        ({"origin": "https://evil.example"}, "could not be added"),
        ({"rp_id": "evil.example"}, "could not be added"),
        ({"challenge": b64url(b"a challenge this page never gave")}, "an old or different page"),
    ],
    ids=["another-origin", "another-rp-id", "another-challenge"],
)
async def test_a_bent_registration_is_refused_and_nothing_is_kept(
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    ann: Citizen,
    bend: dict[str, str],
    message: str,
) -> None:
    await sign_in(client, ann)
    refused = await _add_key(client, _authenticator(settings), **bend)
    assert refused.status_code == 422
    assert "There is a problem" in refused.text
    assert 'href="#security-key"' in refused.text
    assert message in refused.text
    assert await _keys(session) == []
    assert "data-options=" in refused.text  # a fresh challenge, to try again


async def test_a_registration_answers_its_challenge_once(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, ann: Citizen
) -> None:
    await sign_in(client, ann)
    page = await client.get(ADD_PAGE)
    fields = hidden_fields(page.text, "/account/security-keys")
    credential = _authenticator(settings).register(_options(page.text))
    first = await client.post(
        "/account/security-keys", data={**fields, "name": "One", "credential": credential}
    )
    assert first.status_code == 303
    other = _authenticator(settings).register(_options(page.text))  # the same, used challenge
    replayed = await client.post(
        "/account/security-keys", data={**fields, "name": "Two", "credential": other}
    )
    assert replayed.status_code == 422
    assert "an old or different page" in replayed.text
    assert [key.name for key in await _keys(session)] == ["One"]


async def test_an_expired_challenge_is_refused(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, ann: Citizen
) -> None:
    await sign_in(client, ann)
    page = await client.get(ADD_PAGE)
    await session.execute(update(WebAuthnChallenge).values(expires_at=utcnow()))
    credential = _authenticator(settings).register(_options(page.text))
    fields = hidden_fields(page.text, "/account/security-keys")
    late = await client.post(
        "/account/security-keys", data={**fields, "name": "Late", "credential": credential}
    )
    assert late.status_code == 422
    assert await _keys(session) == []


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"name": "", "credential": "{}"}, "name", "Enter a name for your security key"),
        ({"name": "x" * 61, "credential": "{}"}, "name", "60 characters or fewer"),
        ({"name": "Key", "credential": "not json"}, "security-key", "could not read"),
        ({"name": "Key", "credential": '{"id": "abc", "response": []}'}, "security-key", "could not read"),
        ({"name": "Key", "credential": "[" * 20000}, "security-key", "could not read"),
        ({"name": "Key", "credential": "x" * 40000}, "security-key", "could not read"),
        (
            {"name": "Key", "credential": "", "credential_error": "NotAllowedError"},
            "security-key",
            "cancelled",
        ),
        (
            {"name": "Key", "credential": "", "credential_error": "InvalidStateError"},
            "security-key",
            "already",
        ),
        ({"name": "Key"}, "security-key", "did not send a response"),
    ],
    ids=[
        "no-name",
        "long-name",
        "not-json",
        "bad-shape",
        "deep-json",
        "too-long",
        "cancelled",
        "dup",
        "none",
    ],
)
async def test_bad_input_to_registration_is_named_on_the_page(
    client: httpx.AsyncClient,
    session: AsyncSession,
    ann: Citizen,
    data: dict[str, str],
    field: str,
    message: str,
) -> None:
    await sign_in(client, ann)
    page = await client.get(ADD_PAGE)
    answer = await client.post(
        "/account/security-keys", data={**hidden_fields(page.text, "/account/security-keys"), **data}
    )
    assert answer.status_code == 422
    assert f'href="#{field}"' in answer.text
    assert message in answer.text
    assert await _keys(session) == []


def _bent(credential: str, path: tuple[str, ...], value: object) -> str:
    """The posted JSON with the member at `path` replaced by `value`."""
    body = json.loads(credential)
    holder = body
    for step in path[:-1]:
        holder = holder[step]
    holder[path[-1]] = value
    return json.dumps(body)


def _client_data(credential: str, **changes: object) -> str:
    data = json.loads(from_b64url(json.loads(credential)["response"]["clientDataJSON"]))
    return b64url(json.dumps({**data, **changes}).encode())


@pytest.mark.parametrize(
    "damage",
    [
        lambda c: _bent(c, ("response", "attestationObject"), b64url(b"not CBOR at all")),
        lambda c: _bent(c, ("response", "attestationObject"), "***not base64url***"),
        lambda c: _bent(c, ("response", "attestationObject"), 7),
        lambda c: _bent(c, ("rawId",), b64url(b"another id")),
        lambda c: _bent(c, ("type",), "password"),
        lambda c: _bent(c, ("response", "clientDataJSON"), _client_data(c, type="webauthn.get")),
    ],
    ids=[
        "attestation-not-cbor",
        "attestation-not-base64url",
        "attestation-a-number",
        "raw-id",
        "type",
        "get",
    ],
)
async def test_a_damaged_attestation_is_refused_and_nothing_is_kept(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, ann: Citizen, damage: Any
) -> None:
    await sign_in(client, ann)
    page = await client.get(ADD_PAGE)
    credential = damage(_authenticator(settings).register(_options(page.text)))
    fields = hidden_fields(page.text, "/account/security-keys")
    refused = await client.post(
        "/account/security-keys", data={**fields, "name": "Key", "credential": credential}
    )
    assert refused.status_code == 422
    assert 'href="#security-key"' in refused.text
    assert await _keys(session) == []


async def test_transports_the_server_does_not_know_are_left_out(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, ann: Citizen
) -> None:
    await sign_in(client, ann)
    page = await client.get(ADD_PAGE)
    registered = _authenticator(settings).register(_options(page.text))
    credential = _bent(registered, ("response", "transports"), [{}, "nfc", "carrier-pigeon", 3, "usb", "nfc"])
    fields = hidden_fields(page.text, "/account/security-keys")
    added = await client.post(
        "/account/security-keys", data={**fields, "name": "Key", "credential": credential}
    )
    assert added.status_code == 303
    assert [key.transports for key in await _keys(session)] == ["nfc,usb"]


async def test_a_key_registered_to_one_account_cannot_be_registered_again(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, ann: Citizen
) -> None:
    key = _authenticator(settings)
    await sign_in(client, ann)
    assert (await _add_key(client, key)).status_code == 303
    bob = await create_citizen(session, settings, "bob@example.org")
    async with httpx.AsyncClient(transport=client._transport, base_url="http://testserver") as bobs:
        await sign_in(bobs, bob)
        page = await bobs.get(ADD_PAGE)
        # Bob's page does not exclude Ann's key (it is not his), so the key answers; the server refuses.
        credential = key.register(_options(page.text))
        fields = hidden_fields(page.text, "/account/security-keys")
        refused = await bobs.post(
            "/account/security-keys", data={**fields, "name": "Ann's", "credential": credential}
        )
    assert refused.status_code == 422
    assert "already registered" in refused.text
    assert len(await _keys(session)) == 1


# --- sign-in refused, nothing raised ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("bend", "message"),
    [
        ({"origin": "https://evil.example"}, "could not be checked"),
        ({"rp_id": "evil.example"}, "could not be checked"),
        ({"challenge": b64url(b"made up")}, "an old or different page"),
    ],
    ids=["another-origin", "another-rp-id", "another-challenge"],
)
async def test_a_bent_assertion_is_refused(
    client: httpx.AsyncClient,
    session: AsyncSession,
    with_key: SoftwareAuthenticator,
    bend: dict[str, str],
    message: str,
) -> None:
    refused = await _use_key(client, with_key, **bend)
    assert refused.status_code == 422
    assert message in refused.text
    assert 'href="#security-key"' in refused.text
    assert await _levels(session) == [None]
    assert (await _keys(session))[0].sign_count == 0


async def test_a_challenge_is_used_up_by_a_refused_answer(
    client: httpx.AsyncClient, session: AsyncSession, with_key: SoftwareAuthenticator
) -> None:
    page = await client.get(KEY_PAGE)
    fields = hidden_fields(page.text, "/sign-in/security-key")
    bent = with_key.sign_in(_options(page.text), origin="https://evil.example")
    assert (
        await client.post("/sign-in/security-key", data={**fields, "credential": bent})
    ).status_code == 422
    good = with_key.sign_in(_options(page.text))  # right, but for the challenge already answered
    late = await client.post("/sign-in/security-key", data={**fields, "credential": good})
    assert late.status_code == 422
    assert "an old or different page" in late.text
    assert await _levels(session) == [None]


async def test_an_assertion_cannot_be_replayed(
    client: httpx.AsyncClient, session: AsyncSession, ann: Citizen, with_key: SoftwareAuthenticator
) -> None:
    page = await client.get(KEY_PAGE)
    fields = hidden_fields(page.text, "/sign-in/security-key")
    credential = with_key.sign_in(_options(page.text))
    assert (
        await client.post("/sign-in/security-key", data={**fields, "credential": credential})
    ).status_code == 303
    await submit(client, "/account", "/sign-out", {})
    await _password_only(client, ann)
    await client.get(KEY_PAGE)  # a new challenge for the new session; the old response is not for it
    fields = hidden_fields((await client.get(KEY_PAGE)).text, "/sign-in/security-key")
    replayed = await client.post("/sign-in/security-key", data={**fields, "credential": credential})
    assert replayed.status_code == 422
    assert "an old or different page" in replayed.text
    assert await _levels(session) == [None]


async def test_a_counter_that_goes_back_is_refused_as_a_cloned_key(
    client: httpx.AsyncClient, session: AsyncSession, ann: Citizen, with_key: SoftwareAuthenticator
) -> None:
    assert (await _use_key(client, with_key, sign_count=7)).status_code == 303
    await submit(client, "/account", "/sign-out", {})
    await _password_only(client, ann)
    for count in (7, 3):
        cloned = await _use_key(client, with_key, sign_count=count)
        assert cloned.status_code == 422
        assert "may have been copied" in cloned.text
    assert await _levels(session) == [None]
    assert (await _keys(session))[0].sign_count == 7
    assert (await _use_key(client, with_key, sign_count=8)).status_code == 303


async def test_a_key_that_keeps_no_counter_can_be_used_again(
    client: httpx.AsyncClient, ann: Citizen, with_key: SoftwareAuthenticator
) -> None:
    assert (await _use_key(client, with_key, sign_count=0)).status_code == 303
    await submit(client, "/account", "/sign-out", {})
    await _password_only(client, ann)
    assert (await _use_key(client, with_key, sign_count=0)).status_code == 303


@pytest.mark.usefixtures("with_key")
async def test_an_unknown_key_or_another_accounts_key_is_refused(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    bob = await create_citizen(session, settings, "bob@example.org")
    bobs_key = _authenticator(settings)
    async with httpx.AsyncClient(transport=client._transport, base_url="http://testserver") as bobs:
        await sign_in(bobs, bob)
        assert (await _add_key(bobs, bobs_key)).status_code == 303
    for key in (bobs_key, _authenticator(settings)):
        refused = await _use_key(client, key, ignore_allowed=True)
        assert refused.status_code == 422
        assert "not registered to your account" in refused.text
    assert await _levels(session) == [None, "Cl.Cm"]  # Ann's still awaits; Bob's is his own
    assert {key.sign_count for key in await _keys(session)} == {0}


async def test_a_bad_signature_is_refused(
    client: httpx.AsyncClient, session: AsyncSession, with_key: SoftwareAuthenticator
) -> None:
    page = await client.get(KEY_PAGE)
    posted = json.loads(with_key.sign_in(_options(page.text)))
    signature = bytearray(from_b64url(posted["response"]["signature"]))
    signature[-1] ^= 1
    posted["response"]["signature"] = b64url(bytes(signature))
    fields = hidden_fields(page.text, "/sign-in/security-key")
    refused = await client.post("/sign-in/security-key", data={**fields, "credential": json.dumps(posted)})
    assert refused.status_code == 422
    assert await _levels(session) == [None]


@pytest.mark.parametrize(
    "damage",
    [
        lambda c: _bent(c, ("response", "authenticatorData"), b64url(b"too short")),
        lambda c: _bent(c, ("response", "signature"), b64url(b"not DER")),
        lambda c: _bent(c, ("response", "signature"), None),
        lambda c: _bent(c, ("response", "clientDataJSON"), _client_data(c, type="webauthn.create")),
        lambda c: _bent(c, ("rawId",), b64url(b"another id")),
    ],
    ids=["authenticator-data", "signature-not-der", "no-signature", "create", "raw-id"],
)
async def test_a_damaged_assertion_is_refused(
    client: httpx.AsyncClient, session: AsyncSession, with_key: SoftwareAuthenticator, damage: Any
) -> None:
    page = await client.get(KEY_PAGE)
    credential = damage(with_key.sign_in(_options(page.text)))
    fields = hidden_fields(page.text, "/sign-in/security-key")
    refused = await client.post("/sign-in/security-key", data={**fields, "credential": credential})
    assert refused.status_code == 422
    assert 'href="#security-key"' in refused.text
    assert await _levels(session) == [None]
    assert (await _keys(session))[0].sign_count == 0


@pytest.mark.parametrize("credential", ["not json", "{}", '{"id": 1}', "[" * 20000, "x" * 40000])
@pytest.mark.usefixtures("with_key")
async def test_unreadable_json_at_sign_in_is_refused(
    client: httpx.AsyncClient, session: AsyncSession, credential: str
) -> None:
    page = await client.get(KEY_PAGE)
    fields = hidden_fields(page.text, "/sign-in/security-key")
    refused = await client.post("/sign-in/security-key", data={**fields, "credential": credential})
    assert refused.status_code == 422
    assert "could not read" in refused.text
    assert await _levels(session) == [None]


async def test_failed_keys_are_throttled_with_wrong_codes(
    client: httpx.AsyncClient, with_key: SoftwareAuthenticator
) -> None:
    for _ in range(throttle.CODE_PER_ACCOUNT.most):
        assert (await _use_key(client, with_key, origin="https://evil.example")).status_code == 422
    refused = await _use_key(client, with_key)
    assert refused.status_code == 429
    assert "too many attempts with a code or security key" in refused.text
    code = await submit(client, "/sign-in/code", "/sign-in/code", {"code": "000000"})
    assert code.status_code == 429  # the same count


@pytest.mark.usefixtures("with_key")
async def test_a_cancelled_prompt_is_named_and_not_counted(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    for _ in range(throttle.CODE_PER_ACCOUNT.most + 1):
        page = await client.get(KEY_PAGE)
        fields = hidden_fields(page.text, "/sign-in/security-key")
        cancelled = await client.post(
            "/sign-in/security-key", data={**fields, "credential_error": "NotAllowedError"}
        )
        assert cancelled.status_code == 422
        assert "did not respond, or you cancelled" in cancelled.text
    assert await _levels(session) == [None]


# --- removing, and who may do what ------------------------------------------------------------------------


async def test_remove_a_key_but_not_someone_elses(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, ann: Citizen
) -> None:
    await sign_in(client, ann)
    assert (await _add_key(client, _authenticator(settings), name="Ann's key")).status_code == 303
    bob = await create_citizen(session, settings, "bob@example.org")
    async with httpx.AsyncClient(transport=client._transport, base_url="http://testserver") as bobs:
        await sign_in(bobs, bob)
        assert (await _add_key(bobs, _authenticator(settings), name="Bob's key")).status_code == 303
    anns_key, bobs_key = await _keys(session)
    page = await client.get("/account")
    fields = hidden_fields(page.text, "/account/security-keys/remove")
    for key_id in (str(bobs_key.id), "", "not a number", "9" * 30, "²", "-1"):
        answer = await client.post("/account/security-keys/remove", data={**fields, "key_id": key_id})
        assert answer.status_code == 303
    assert len(await _keys(session)) == 2
    removed = await client.post("/account/security-keys/remove", data={**fields, "key_id": str(anns_key.id)})
    assert removed.headers["location"] == "/account"
    assert [key.name for key in await _keys(session)] == ["Bob's key"]
    assert "Ann's key" not in (await client.get("/account")).text


@pytest.mark.parametrize(
    "action", ["/account/security-keys", "/account/security-keys/remove", "/sign-in/security-key"]
)
async def test_a_post_without_the_csrf_field_is_refused(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, ann: Citizen, action: str
) -> None:
    await sign_in(client, ann)
    key = _authenticator(settings)
    credential = key.register(_options((await client.get(ADD_PAGE)).text))
    refused = await client.post(action, data={"name": "Key", "credential": credential, "key_id": "1"})
    assert refused.status_code == 403
    assert await _keys(session) == []


async def test_nobody_signed_in_is_sent_to_sign_in(client: httpx.AsyncClient, session: AsyncSession) -> None:
    for page in (ADD_PAGE, KEY_PAGE):
        answer = await client.get(page)
        assert answer.status_code == 303
        assert answer.headers["location"].startswith("/sign-in?return_to=")
    form = await client.get("/sign-in")  # for a CSRF field of this browser
    fields = hidden_fields(form.text, "/sign-in")
    for action in ("/account/security-keys", "/account/security-keys/remove", "/sign-in/security-key"):
        answer = await client.post(action, data={**fields, "name": "Key", "credential": "{}", "key_id": "1"})
        assert answer.status_code == 303
        assert answer.headers["location"].startswith("/sign-in?return_to=")
    assert await _keys(session) == []
    assert await session.scalar(select(func.count()).select_from(WebAuthnChallenge)) == 0


async def test_adding_a_key_needs_the_app_and_two_factors(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    carl = await create_citizen(session, settings, "carl@example.org", with_app=False)
    await sign_in(client, carl)
    no_app = await client.get(ADD_PAGE)
    assert no_app.headers["location"].startswith("/account/authenticator")
    assert "Set up your authenticator app first" in (await client.get("/account")).text
    # An account whose app was set up on another device while this session had the password only.
    await session.execute(update(Account).values(totp_secret="sealed elsewhere"))
    one_factor = await client.get(ADD_PAGE)
    assert one_factor.headers["location"] == "/sign-in?return_to=%2Faccount%2Fsecurity-keys%2Fnew&level=Cl.Cm"
    assert await session.scalar(select(func.count()).select_from(WebAuthnChallenge)) == 0


@pytest.mark.usefixtures("with_key")
async def test_a_challenge_goes_with_its_session(client: httpx.AsyncClient, session: AsyncSession) -> None:
    await client.get(KEY_PAGE)
    assert await session.scalar(select(func.count()).select_from(WebAuthnChallenge)) == 1
    page = await client.get(KEY_PAGE)  # a page shown again replaces the challenge
    assert await session.scalar(select(func.count()).select_from(WebAuthnChallenge)) == 1
    token = hidden_fields(page.text, "/sign-in/security-key")["csrf_token"]
    assert (await client.post("/sign-out", data={"csrf_token": token})).status_code == 303
    assert await session.scalar(select(func.count()).select_from(WebAuthnChallenge)) == 0
