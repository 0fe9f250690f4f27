"""One committed world for the attacker-style tests (`test_authorization_matrix`, `test_header_trust`,
`test_openapi_schemathesis`): members, a service behind the gateway, registers, clients, exchange records,
and the people and systems who call, each signed in or holding a token once per worker.

Who is who (the personas of the authorization matrix, and the rightful callers beside them):

- `anonymous`: a browser with nobody signed in (it has a CSRF cookie, as any browser that opened a form);
- `citizen`: a person signed in with two factors, who administers nothing;
- `member_admin`: the administrator of another member (Theirs Ltd), signed in with two factors;
- `subsystem`: Theirs Ltd's subsystem `orders` with its own `client_credentials` token, naming itself in
  `X-Road-Client` (and `Information-Mediator-Client`);
- `admin_1fa`: a platform administrator signed in with a password only;
- `platform_admin`: a platform administrator signed in with two factors;
- `provider_admin`: the administrator of the providing member (Borsetshire, subsystem `parking`, service
  `eligibility`, and the owner of the personal register `permits`);
- `provider_subsystem`: Borsetshire's `parking` with its own token;
- `client_subsystem`: Ambridge's `benefits`, which holds the right to call `eligibility`;
- `members_admin_client` and `identity_admin_client`: machine clients with the admin scopes;
- `relying_party`: a service that signs people in (authorization code flow), authenticating with its key;
- `citizen_token`: the citizen's access token issued to `relying_party` (scope `openid email`).

The database is built once per worker and committed (`govhub_security_<worker>`); each test then runs in
a transaction that is rolled back, on an app of its own, so a test that approves, suspends or signs out
changes nothing for the next one."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import secrets
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from ipaddress import ip_network
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
from alembic import command
from fastapi import FastAPI
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from govhub.app import create_app
from govhub.config import Settings
from govhub.db import Database, alembic_config, create_async_engine, session_factory
from govhub.identity.oidc.clients import service as oidc_clients
from govhub.identity.organisations.service import NewOrganisation, OrganisationsService
from govhub.kit import csrf
from govhub.kit.clock import utcnow
from govhub.kit.dev_mailbox import DevMailbox
from govhub.ledger.service import LedgerService
from govhub.members.membership.service import MembershipService
from govhub.members.models import Application
from govhub.members.onboarding.service import ApplicationsService
from govhub.registries.caller import Caller
from govhub.registries.databases.service import DatabaseCatalogue
from govhub.registries.definitions import RegisterDefinition
from govhub.registries.service import RegistriesService
from tests.conftest import DATABASE_PREFIX, make_settings
from tests.functional.exchange.support import exchange
from tests.functional.identity.account_support import csrf_of, hidden_fields, link_in, sign_in
from tests.functional.identity.account_support import submit as submit_form
from tests.functional.members.support import TEST_ADMIN, Person, approved_member, person, submit
from tests.support.databases import SuiteDatabases
from tests.support.exchange import record_exchange
from tests.support.live_server import serve_in_thread
from tests.support.mail import running_mailbox
from tests.support.oidc import ISSUER, REDIRECT_URI, ClientKeys, code_client, machine_client
from tests.support.point_reads import ConnectionPointReads
from tests.support.proving import create_births_register

INSTANCE = "GOVHUB-DEV"
PROVIDER_MEMBER = f"{INSTANCE}/GOV/E10000099"
PROVIDER = f"{PROVIDER_MEMBER}/parking"
SERVICE = f"{PROVIDER}/eligibility"
OTHER_MEMBER = f"{INSTANCE}/COM/07654321"
OTHER = f"{OTHER_MEMBER}/orders"
CLIENT_MEMBER = f"{INSTANCE}/GOV/E10000123"
CLIENT = f"{CLIENT_MEMBER}/benefits"
#: A member suspended by the platform.
DORMANT_MEMBER = f"{INSTANCE}/COM/00000666"
#: A member applying, whose application waits for a platform administrator.
PENDING_MEMBER = f"{INSTANCE}/ORG/RC000777"
OPEN_REGISTER = "shops"
PERSONAL_REGISTER = "permits"
PERMIT = "P-0001"
SHOP = "S-0001"

#: The five personas every route is tried with, in the order of the matrix's columns.
PERSONAS = ("anonymous", "citizen", "member_admin", "subsystem", "admin_1fa")
#: Everyone else the tests call as: the rightful callers of the routes.
RIGHTFUL = (
    "platform_admin",
    "provider_admin",
    "provider_subsystem",
    "client_subsystem",
    "members_admin_client",
    "identity_admin_client",
    "relying_party",
    "citizen_token",
)


#: The provider's API as registered: one path per method, so that every method the gateway forwards has an
#: endpoint a right can cover.
ITEMS_API: dict[str, Any] = {
    "openapi": "3.0.3",
    "info": {"title": "Items", "version": "1.0.0", "description": "The matrix's echo provider."},
    "paths": {
        "/items": {"post": {"operationId": "createItem", "responses": {"201": {"description": "Made."}}}},
        "/items/{id}": {
            "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}],
            **{
                method: {"operationId": f"{method}Item", "responses": {"200": {"description": "Done."}}}
                for method in ("get", "put", "delete", "patch", "head", "options")
            },
        },
    },
}
#: The personal register's schema as the GovStack database API states it (a new version of `permits`).
DATABASE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "key": {"type": "string", "primaryKey": True},
        "name": {"type": "string"},
        "person_id": {"type": "string"},
    },
    "required": ["key"],
}
#: The scope of a token that may read the person's data tracker: a consented scope of its own (finding 5),
#: not any `openid` token.
TRACKER_SCOPE = f"openid {oidc_clients.DATA_USE_SCOPE}"
#: Who may scrape `/metrics` (finding 12: behind a token).
METRICS_TOKEN = "matrix-metrics-token-0123456789abcdef"


#: Headers with which a caller says which method or URL it means (finding 8: the gateway refuses or
#: strips them).
METHOD_OVERRIDES = (
    "x-http-method-override",
    "x-http-method",
    "x-method-override",
    "x-original-url",
    "x-rewrite-url",
)
#: Headers that name a caller, which a provider must only ever get from the gateway itself.
CALLER_HEADERS = ("information-mediator-client", "x-govstack-client", "x-govhub-user-token")


def echo_provider() -> FastAPI:
    """A provider that answers every method on every path with what it was sent: who the gateway said the
    client and the person are, so that a test can see whose request reached it."""

    async def echo(request: Request) -> Response:
        body = {
            "method": request.method,
            "path": request.url.path,
            "client": request.headers.get("x-road-client"),
            "userId": request.headers.get("x-road-userid"),
            # What a provider's framework might act on: the caller's own say on the method, or on who it is.
            "overrides": sorted(name for name in METHOD_OVERRIDES if name in request.headers),
            "callerHeaders": sorted(name for name in CALLER_HEADERS if name in request.headers),
        }
        return JSONResponse(body, status_code=201 if request.method == "POST" else 200)

    app = FastAPI(openapi_url=None)
    app.add_route("/{path:path}", echo, methods=["GET", "PUT", "POST", "DELETE", "PATCH", "HEAD", "OPTIONS"])
    return app


@dataclass
class Identity:
    """What one caller presents: browser cookies (every browser has a CSRF cookie and the form field that
    goes with it, read from a page as a browser reads it), headers, and an OAuth client's key."""

    name: str
    cookies: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    csrf_token: str = ""
    client_id: str | None = None
    keys: ClientKeys | None = None
    #: The account behind a person, for tests that check whose data they see.
    account_public_id: str | None = None
    #: The person's authenticator app, for a code when a form asks for one.
    totp_secret: str | None = None
    #: Sent to `/sign-in` before each request: the caller is half-way through signing in.
    password_sign_in: dict[str, str] | None = None

    def client_auth(self) -> dict[str, str]:
        """The body fields that authenticate this caller's OAuth client (private_key_jwt), or none."""
        if self.keys is None or self.client_id is None:
            return {}
        return self.keys.auth(self.client_id, aud=ISSUER)


@dataclass
class World:
    url: str
    settings: Settings
    provider_url: str
    mailbox: DevMailbox
    identities: dict[str, Identity]
    #: Ids of things the routes name: application reference, message id, ledger names, clients...
    ids: dict[str, str]

    def __getitem__(self, name: str) -> Identity:
        return self.identities[name]


def world_settings(url: str, smtp_port: int) -> Settings:
    """The suite's settings, with tokens that outlive the run, the live provider on loopback allowed (the
    outbound-address guard lets an operator allow a network; the gateway's tests do the same), a metrics
    token, and mail to a mailbox of the world's own."""
    return make_settings(
        url,
        oidc_access_token_seconds=86_400,
        gateway_allowed_networks=[ip_network("127.0.0.0/8")],
        metrics_token=SecretStr(METRICS_TOKEN),
        oidc_cache_seconds=0,
        smtp_port=smtp_port,
    )


async def _build(
    settings: Settings, provider_url: str, mailbox: DevMailbox
) -> tuple[dict[str, Identity], dict[str, str]]:
    database = Database(settings)
    try:
        async with database.sessions() as session, session.begin():
            people = {
                "citizen": await person(session, settings, "citizen@matrix.example"),
                "member_admin": await person(session, settings, "director@theirs.example"),
                "admin_1fa": await person(
                    session, settings, "admin-1fa@matrix.example", platform_admin=True, with_app=False
                ),
                "platform_admin": await person(
                    session, settings, "admin@matrix.example", platform_admin=True
                ),
                "provider_admin": await person(session, settings, "director@borsetshire.example"),
                "applicant": await person(session, settings, "applicant@charity.example"),
                # Signs in with a password and stops before the code.
                "halfway": await person(session, settings, "halfway@matrix.example"),
            }
            keys = {name: ClientKeys() for name in ("provider", "other", "client")}
            await approved_member(
                session, keys["provider"], applicant_account_id=_id(people["provider_admin"])
            )
            await approved_member(
                session,
                keys["other"],
                organisation_name="Theirs Ltd",
                registration_number="07654321",
                member_class="COM",
                subsystem_code="orders",
                contact_email="director@theirs.example",
                applicant_account_id=_id(people["member_admin"]),
            )
            await approved_member(
                session,
                keys["client"],
                organisation_name="Ambridge Borough Council",
                registration_number="E10000123",
                subsystem_code="benefits",
                contact_email="clerk@ambridge.example",
            )
            dormant = await approved_member(
                session,
                ClientKeys(),
                organisation_name="Dormant Ltd",
                registration_number="00000666",
                member_class="COM",
                subsystem_code="shop",
                contact_email="clerk@dormant.example",
            )
            await MembershipService(session).suspend(dormant.member_id, TEST_ADMIN, "Dormant for the tests.")
            pending = await submit(
                session,
                ClientKeys(),
                organisation_name="Felpersham Riverside Trust",
                registration_number="RC000777",
                member_class="ORG",
                subsystem_code="boats",
                contact_email="applicant@charity.example",
                applicant_account_id=_id(people["applicant"]),
            )
            confirming = await _claim_an_organisation(session, people["provider_admin"], people["applicant"])

            registries = RegistriesService.for_session(session, settings)
            await registries.define(_register(OPEN_REGISTER, "open", "govhub/GOV/platform"))
            await registries.define(_register(PERSONAL_REGISTER, "personal", PROVIDER_MEMBER))
            for name, key in ((OPEN_REGISTER, SHOP), (PERSONAL_REGISTER, PERMIT)):
                owner_register = "govhub/GOV/platform" if name == OPEN_REGISTER else PROVIDER_MEMBER
                owner = Caller(f"{owner_register}/loader", "loading the matrix's records")
                opened = await registries.open(name, "1", owner, write=True)
                await registries.create_many(
                    opened, [{"key": key, "name": "Ann Example", "person_id": "GH100000042"}]
                )
            await registries.grant(PERSONAL_REGISTER, CLIENT)
            # The client reads the permit: a use of the person's data that the owner and the grantee see.
            reader = Caller(CLIENT, "checking a permit")
            opened = await registries.open(PERSONAL_REGISTER, "1", reader)
            await registries.read(opened, reader, {"key": PERMIT})
            both = await registries.repository.register_and_version(PERSONAL_REGISTER, "1")
            assert both is not None
            # A second version nothing was written with, which its owner may delete.
            spare = await DatabaseCatalogue(registries).modify(
                Caller(f"{PROVIDER}", "a spare version"),
                code=PERSONAL_REGISTER.upper(),
                catalog_name=None,
                schema=DATABASE_SCHEMA,
                classification="personal",
            )

            # The register identity proving checks claims against (the citizen's is Zoë's record).
            await create_births_register(session, settings)

            ledgers = LedgerService.for_session(session, settings)
            record = await record_exchange(
                session,
                ledgers,
                exchange(
                    user_id=_public(people["citizen"]),
                    client_id=CLIENT,
                    service_id=SERVICE,
                    path="/eligibility/1234567890",
                    started_at=utcnow() - timedelta(minutes=5),
                    purpose="Checking a blue badge",
                ),
            )

            machine_keys = {name: ClientKeys() for name in ("members_admin", "identity_admin")}
            members_admin = await machine_client(
                session, machine_keys["members_admin"], scopes=["govhub:members-admin"]
            )
            identity_admin = await machine_client(
                session, machine_keys["identity_admin"], scopes=["govhub:identity-admin"]
            )
            rp_keys = ClientKeys()
            relying_party = await code_client(
                session,
                rp_keys,
                client_id="matrix-parking-permits",
                allowed_scopes=sorted(
                    {"openid", "email", "identity", "offline_access", oidc_clients.DATA_USE_SCOPE}
                ),
            )
        ids = {
            "application": pending.public_id,
            "confirmation": confirming.public_id,
            "message_id": record.message_id,
            "relying_party": relying_party.client.client_id,
            "database": str(both[1].id),
            "spare_database": str(spare.id),
            "authorize": authorization_query(relying_party.client.client_id),
            # Asks for consent again, so that a journey stops at the consent page even for the citizen.
            "authorize_consent": authorization_query(relying_party.client.client_id, prompt="consent"),
        }
        identities = {
            "members_admin_client": Identity(
                "members_admin_client",
                client_id=members_admin.client.client_id,
                keys=machine_keys["members_admin"],
            ),
            "identity_admin_client": Identity(
                "identity_admin_client",
                client_id=identity_admin.client.client_id,
                keys=machine_keys["identity_admin"],
            ),
            "relying_party": Identity(
                "relying_party", client_id=relying_party.client.client_id, keys=rp_keys
            ),
            "subsystem": _subsystem("subsystem", OTHER, keys["other"]),
            "provider_subsystem": _subsystem("provider_subsystem", PROVIDER, keys["provider"]),
            "client_subsystem": _subsystem("client_subsystem", CLIENT, keys["client"]),
        }
        app = create_app(settings)
        app.state.database.sessions = database.sessions
        try:
            await _sign_in_everyone(app, people, identities)
            await _issue_tokens(app, identities)
            await _register_service(app, identities["members_admin_client"], provider_url)
            ids.update(await _mailed_tokens(app, mailbox))
        finally:
            await app.state.database.dispose()
        return identities, ids
    finally:
        await database.dispose()


async def _claim_an_organisation(session: AsyncSession, director: Person, applicant: Person) -> Application:
    """A company `director` (Borsetshire's `provider_admin`) directs, and an application in its name by
    someone else: approval waits for one of its directors to confirm or decline them (finding 7)."""
    organisations = OrganisationsService.for_session(session)
    organisation = await organisations.create_organisation(
        NewOrganisation("Borsetshire Orchards Ltd", "SC999001", "company")
    )
    await organisations.link(director.account.email, organisation.public_id, "director")
    claiming = await submit(
        session,
        ClientKeys(),
        organisation_name="Borsetshire Orchards Ltd",
        registration_number="SC999001",
        member_class="COM",
        subsystem_code="orchards",
        contact_email="applicant@charity.example",
        applicant_account_id=_id(applicant),
    )
    confirming = await ApplicationsService(session, INSTANCE).approve(claiming.public_id, TEST_ADMIN)
    assert confirming.status == "confirming", confirming.status
    return confirming


def _id(who: Person) -> int:
    return who.account.id


def _public(who: Person) -> str:
    return who.account.public_id


def _subsystem(name: str, subsystem: str, keys: ClientKeys) -> Identity:
    return Identity(
        name,
        headers={"X-Road-Client": subsystem, "Information-Mediator-Client": subsystem},
        client_id=subsystem.replace("/", "."),
        keys=keys,
    )


def _register(name: str, classification: str, owner: str) -> RegisterDefinition:
    return RegisterDefinition(
        name=name,
        title=name.title(),
        description=f"The matrix's {classification} register.",
        classification=classification,
        owner=owner,
        database_code=name.upper(),
        version="1",
        record_schema={
            "type": "object",
            "properties": {
                "key": {"type": "string"},
                "name": {"type": "string"},
                "person_id": {"type": "string", "x-govhub-indexed": True},
            },
            "required": ["key"],
        },
        key_field="key",
        subject_field="person_id" if classification == "personal" else None,
    )


@asynccontextmanager
async def _browser(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


async def _csrf(client: httpx.AsyncClient) -> str:
    """The form field a page gives this browser, checked against its cookie as the app checks it."""
    page = await client.get("/sign-in")
    assert page.status_code in {200, 303}, page.text
    if page.status_code == 303:  # signed in already: any page with a form
        page = await client.get("/account")
    return csrf_of(page.text)


async def _sign_in_everyone(app: FastAPI, people: dict[str, Person], identities: dict[str, Identity]) -> None:
    settings: Settings = app.state.settings
    for name in ("anonymous", *people):
        async with _browser(app) as client:
            if name not in {"anonymous", "halfway"}:
                answer = await sign_in(client, people[name].citizen)
                assert answer.status_code == 303, answer.text
            token = await _csrf(client)
            cookies = dict(client.cookies.items())
            assert token == csrf.token_for(cookies[csrf.COOKIE], settings)
            identities[name] = Identity(
                name,
                cookies=cookies,
                csrf_token=token,
                account_public_id=_public(people[name]) if name != "anonymous" else None,
                totp_secret=people[name].citizen.secret if name != "anonymous" else None,
            )
    # Half-way through signing in: the password is sent in each test (a session awaiting its code lasts
    # ten minutes, less than a whole run of the suite may take).
    citizen = people["halfway"].citizen
    identities["halfway"].password_sign_in = {"email": citizen.email, "password": citizen.password}
    # The machines have browsers too, so that a form they post fails on who they are, not on its CSRF
    # field.
    for identity in list(identities.values()):
        if identity.cookies:
            continue
        async with _browser(app) as client:
            identity.csrf_token = await _csrf(client)
            identity.cookies = dict(client.cookies.items())


async def _issue_tokens(app: FastAPI, identities: dict[str, Identity]) -> None:
    async with _browser(app) as client:
        for name in (
            "subsystem",
            "provider_subsystem",
            "client_subsystem",
            "members_admin_client",
            "identity_admin_client",
        ):
            identity = identities[name]
            answer = await client.post(
                "/token", data={"grant_type": "client_credentials", **identity.client_auth()}
            )
            assert answer.status_code == 200, answer.text
            identity.headers["Authorization"] = f"Bearer {answer.json()['access_token']}"
        rp = identities["relying_party"]
        citizen = identities["citizen"]
        for name, scope in (("citizen_token", "openid email"), ("tracker_token", TRACKER_SCOPE)):
            code, verifier = await _consented_code(app, citizen, rp, scope)
            form = {
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": REDIRECT_URI,
                "code_verifier": verifier,
            }
            answer = await client.post("/token", data={**form, **rp.client_auth()})
            assert answer.status_code == 200, answer.text
            identities[name] = _browser_of(
                identities["anonymous"],
                name,
                {"Authorization": f"Bearer {answer.json()['access_token']}"},
                citizen.account_public_id,
            )
    citizen_token = identities["citizen_token"].headers["Authorization"].removeprefix("Bearer ")
    client_subsystem = identities["client_subsystem"]
    identities["client_with_foreign_person_token"] = Identity(
        "client_with_foreign_person_token",
        cookies=client_subsystem.cookies,
        headers={**client_subsystem.headers, "X-Govhub-User-Token": citizen_token},
        csrf_token=client_subsystem.csrf_token,
    )
    identities["metrics_scraper"] = _browser_of(
        identities["anonymous"], "metrics_scraper", {"Authorization": f"Bearer {METRICS_TOKEN}"}, None
    )


async def _mailed_tokens(app: FastAPI, mailbox: DevMailbox) -> dict[str, str]:
    """A sign-up link's token and a password reset link's token, as mailed (each usable in every test:
    the test that uses one is rolled back)."""
    tokens: dict[str, str] = {}
    for page, email, name in (
        ("/sign-up", "newcomer@matrix.example", "sign_up_token"),
        ("/password-reset", "citizen@matrix.example", "reset_token"),
    ):
        async with _browser(app) as client:
            form = {"email": email, "password": "a new password for the matrix"}
            answer = await submit_form(client, page, page, form)
            assert answer.status_code < 400, answer.text
        [mail] = [mail for mail in mailbox.mails() if email in mail.recipients and page in mail.text]
        tokens[name] = parse_qs(urlsplit(link_in(mail.text)).query)["token"][0]
    return tokens


def _browser_of(browser: Identity, name: str, headers: dict[str, str], public_id: str | None) -> Identity:
    """A caller presenting `headers` from `browser` (its cookies and CSRF field, no session)."""
    return Identity(
        name,
        cookies=dict(browser.cookies),
        headers=headers,
        csrf_token=browser.csrf_token,
        account_public_id=public_id,
    )


def authorization_query(client_id: str, **more: str) -> str:
    """An authorization request of the relying party, as the query string of `/authorize`."""
    return urlencode(
        {
            **more,
            "response_type": "code",
            "client_id": client_id,
            "redirect_uri": REDIRECT_URI,
            "scope": "openid email",
            "state": "matrix-state",
            "nonce": "matrix-nonce",
            "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
            "code_challenge_method": "S256",
        }
    )


async def _register_service(app: FastAPI, admin: Identity, provider_url: str) -> None:
    """The provider's service at the echo provider, and the client's right to all of it, through the
    services API as the platform's admin client (the outbound-address guard checks the URL there)."""
    async with _browser(app) as client:
        registration = {"subsystem": PROVIDER, "serviceCode": "eligibility", "baseUrl": provider_url}
        answer = await client.post(
            "/members/services", json={**registration, "openapi": ITEMS_API}, headers=admin.headers
        )
        assert answer.status_code == 201, answer.text
        answer = await client.post(
            f"/members/services/{SERVICE}/rights", json={"client": CLIENT}, headers=admin.headers
        )
        assert answer.status_code == 201, answer.text


async def _consented_code(
    app: FastAPI, citizen: Identity, rp: Identity, scope: str = "openid email"
) -> tuple[str, str]:
    """The citizen's journey through the relying party's authorization request: consent given on the
    consent page (so the citizen has a service to withdraw), a code back at the redirect URI."""
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    parameters = {
        "response_type": "code",
        "client_id": rp.client_id or "",
        "redirect_uri": REDIRECT_URI,
        "scope": scope,
        "state": secrets.token_urlsafe(8),
        "nonce": secrets.token_urlsafe(8),
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    async with _browser(app) as client:
        client.cookies.update(citizen.cookies)
        answer = await client.get("/authorize?" + urlencode(parameters))
        if answer.status_code == 200:  # asked for consent (the first time)
            fields = hidden_fields(answer.text, "/authorize/consent")
            answer = await client.post("/authorize/consent", data={**fields, "decision": "allow"})
        assert answer.status_code == 303, answer.text
        assert answer.headers["location"].startswith(REDIRECT_URI), answer.headers["location"]
    back = parse_qs(urlsplit(answer.headers["location"]).query)
    return back["code"][0], verifier


@contextmanager
def built_world(
    test_databases: SuiteDatabases, worker_id_safe: str, purpose: str = "security"
) -> Iterator[World]:
    """The world in a database of its own, `govhub_<purpose>_<worker>`, dropped afterwards."""
    name = f"govhub_{purpose}_{worker_id_safe}"
    url = test_databases.create(f"{DATABASE_PREFIX}{name}")
    try:
        command.upgrade(alembic_config(url), "head")
        with running_mailbox() as mailbox, serve_in_thread(echo_provider()) as provider_url:
            settings = world_settings(url, mailbox.port)
            identities, ids = asyncio.run(_build(settings, provider_url + "/", mailbox))
            yield World(url, settings, provider_url, mailbox, identities, ids)
    finally:
        test_databases.drop(f"{DATABASE_PREFIX}{name}")


@asynccontextmanager
async def in_transaction(engine: AsyncEngine, app: FastAPI) -> AsyncIterator[FastAPI]:
    """`app` (one per worker: making one costs about a second) working on the world's database inside a
    transaction rolled back afterwards. The app keeps nothing between tests that a rolled-back test could
    have changed: its OpenID provider caches no client (`oidc_cache_seconds=0`) and the gateway's view of
    the network is made anew."""
    async with engine.connect() as connection:
        transaction = await connection.begin()
        app.state.database.sessions = session_factory(connection)
        app.state.database.point_reads = ConnectionPointReads(connection)
        app.state.gateway_network_view = None
        try:
            yield app
        finally:
            await transaction.rollback()


def world_engine(world: World) -> AsyncEngine:
    return create_async_engine(world.url)


def new_message_id() -> str:
    return str(uuid.uuid4())
