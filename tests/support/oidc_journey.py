"""A browser's part of signing in at govhub, without a browser: follow redirects and fill in the forms the
pages show, found by what they ask for (the `autocomplete` tokens every identity form carries), with the
CSRF token and other hidden fields read from the page. Used by the real-client tests and the benchmark;
the Chromium journey (tests/browser) does the same with a real browser."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import date
from html.parser import HTMLParser
from urllib.parse import urljoin

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from govhub.config import Settings
from govhub.identity.accounts import totp
from govhub.identity.accounts.service import IdentityService, NewAccount
from govhub.identity.proving.models import VerifiedIdentityRow
from govhub.identity.proving.repository import ProvingRepository
from govhub.kit.clock import utcnow

#: Words on the button that agrees to share, on the consent page.
_AGREE = ("allow", "agree", "approve", "accept", "continue", "share", "yes")
_REFUSE = ("deny", "refuse", "cancel", "no", "don't", "do not")


@dataclass
class Form:
    action: str
    method: str
    #: Named inputs as (name, value, type, autocomplete).
    inputs: list[tuple[str, str, str, str]] = field(default_factory=list)
    #: Submit buttons as (name, value, text).
    buttons: list[tuple[str, str, str]] = field(default_factory=list)

    def asks_for(self, token: str) -> bool:
        return any(autocomplete == token for _n, _v, _t, autocomplete in self.inputs)


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[Form] = []
        self._button: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "form":
            self.forms.append(Form(values.get("action", ""), values.get("method", "get").lower()))
        elif not self.forms:
            return
        elif tag == "input" and values.get("name"):
            kind = values.get("type", "text").lower()
            if kind == "submit":
                self.forms[-1].buttons.append(
                    (values["name"], values.get("value", ""), values.get("value", ""))
                )
            elif kind not in {"checkbox", "radio"} or "checked" in values:
                self.forms[-1].inputs.append(
                    (values["name"], values.get("value", ""), kind, values.get("autocomplete", ""))
                )
        elif tag == "button" and values.get("type", "submit").lower() == "submit":
            self._button = [values.get("name", ""), values.get("value", ""), ""]

    def handle_data(self, data: str) -> None:
        if self._button is not None:
            self._button[2] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "button" and self._button is not None and self.forms:
            name, value, text = self._button
            self.forms[-1].buttons.append((name, value, text.strip()))
            self._button = None


def forms_of(html: str) -> list[Form]:
    parser = _FormParser()
    parser.feed(html)
    return parser.forms


class JourneyFailed(AssertionError):
    pass


@dataclass
class Person:
    email: str
    password: str
    totp_secret: str | None = None
    #: Agree on the consent page (True) or refuse (False).
    consents: bool = True
    #: Sent as X-Forwarded-For, so that a benchmark's many people are not one address to the throttle.
    address: str | None = None


#: The identity a matched test citizen has proved (as the births register would hold it).
MATCHED_GIVEN_NAME, MATCHED_FAMILY_NAME, MATCHED_BIRTH_DATE = "Ada", "Lovelace", date(1985, 12, 10)


async def create_person(session: AsyncSession, settings: Settings, *, matched: bool = False) -> Person:
    """An account with a password and an authenticator app; `matched`: its identity proved (P2)."""
    person = Person(
        f"person-{secrets.token_hex(6)}@example.org", "a long password for the tests", totp.new_secret()
    )
    level = "P2" if matched else "P0"
    account = await IdentityService.for_session(session, settings).create_account(
        NewAccount(person.email, person.password, person.totp_secret, level, email_verified=True)
    )
    if matched:
        await ProvingRepository(session).add_verified_identity(
            VerifiedIdentityRow(
                account_id=account.id,
                register="birth",
                record_key=f"TEST-{secrets.token_hex(6)}",
                given_name=MATCHED_GIVEN_NAME,
                family_name=MATCHED_FAMILY_NAME,
                birth_date=MATCHED_BIRTH_DATE,
                verified_at=utcnow(),
            )
        )
    await session.flush()
    return person


def _choose_button(form: Form, agree: bool) -> dict[str, str]:
    wanted = _AGREE if agree else _REFUSE
    for name, value, text in form.buttons:
        label = f"{value} {text}".lower()
        if any(word in label for word in wanted) and name:
            return {name: value}
    named = [(name, value) for name, value, _text in form.buttons if name]
    if not agree or len(named) != 1:
        return {}
    return {named[0][0]: named[0][1]}


def _filled(form: Form, person: Person) -> dict[str, str]:
    data: dict[str, str] = {}
    for name, value, _kind, autocomplete in form.inputs:
        if autocomplete in {"email", "username"}:
            data[name] = person.email
        elif autocomplete == "current-password":
            data[name] = person.password
        elif autocomplete == "one-time-code":
            if person.totp_secret is None:
                raise JourneyFailed("govhub asked for a one-time code, and this person has no authenticator")
            data[name] = totp.totp(person.totp_secret)
        else:
            data[name] = value
    if not form.asks_for("current-password") and not form.asks_for("one-time-code"):
        data.update(_choose_button(form, person.consents))
    return data


async def sign_in(
    client: httpx.AsyncClient, start_url: str, person: Person, *, stop_at: str, max_steps: int = 25
) -> httpx.URL:
    """Go to `start_url` and do what the pages ask until a redirect leaves for `stop_at` (a relying
    party's redirect URI prefix); that URL, not fetched."""
    headers = {"X-Forwarded-For": person.address} if person.address else {}
    response = await client.get(start_url, headers=headers)
    for _ in range(max_steps):
        if response.is_redirect:
            location = urljoin(str(response.url), response.headers["location"])
            if location.startswith(stop_at):
                return httpx.URL(location)
            response = await client.get(location, headers=headers)
            continue
        if response.status_code != 200:
            raise JourneyFailed(
                f"{response.request.url} answered {response.status_code}: {response.text[:500]}"
            )
        forms = [form for form in forms_of(response.text) if form.method == "post"]
        form = next(
            (f for f in forms if f.asks_for("current-password") or f.asks_for("one-time-code")),
            next((f for f in forms if f.buttons and "sign-out" not in f.action), None),
        )
        if form is None:
            raise JourneyFailed(f"{response.url} shows no form to fill in: {response.text[:500]}")
        action = urljoin(str(response.url), form.action or str(response.url))
        response = await client.post(action, data=_filled(form, person), headers=headers)
    raise JourneyFailed(f"no redirect to {stop_at} after {max_steps} steps")
