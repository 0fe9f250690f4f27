"""The authorization matrix: every route of the app, tried by every persona, answers as this one table
says (issue 14). The table is keyed by route (method and path template, as in the app's route table); a
route missing from it, or a row naming a route that is gone, fails `test_the_matrix_covers_every_route`.

Each row sends one concrete request (ids of the world's fixtures in the path, a valid body), as each of
the five personas (see `world`) and as the route's rightful caller, whose answer shows the route works at
all. Forms carry the persona's own CSRF field, read from a page as its browser would, so a refusal is
about who calls, never about a missing CSRF field.

Answers: OK (served: 2xx or 3xx elsewhere than sign-in), SIGN_IN (a page sends the browser to sign in, or to
step up to two factors), BAD (400: the request is refused before anyone is identified, harmlessly),
UNAUTHENTICATED (401), FORBIDDEN (403), HIDDEN (404: the caller may not learn it exists).

The table states the policy issue 14 asks for; every cell holds on both databases."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute

from govhub.app import create_app
from tests.conftest import make_settings
from tests.functional.security.calls import Answer, Call, answer_of, send
from tests.functional.security.world import (
    CLIENT,
    DATABASE_SCHEMA,
    DORMANT_MEMBER,
    ITEMS_API,
    OTHER,
    PERSONAS,
    PROVIDER,
    PROVIDER_MEMBER,
    SERVICE,
    World,
)
from tests.support.oidc import REDIRECT_URI, ClientKeys

OK, SIGN_IN, BAD, INVALID = Answer.OK, Answer.SIGN_IN, Answer.BAD, Answer.INVALID
E401, E403, E404 = Answer.UNAUTHENTICATED, Answer.FORBIDDEN, Answer.HIDDEN


@dataclass(frozen=True)
class Row:
    """What each persona gets, in the order of `PERSONAS`: anonymous, citizen, another member's
    administrator, another member's subsystem, a platform administrator without two factors; and who the
    rightful caller is (who gets OK). `more` adds cells for other callers."""

    call: Call
    anonymous: Answer
    citizen: Answer
    member_admin: Answer
    subsystem: Answer
    admin_1fa: Answer
    rightful: str | None
    more: dict[str, Answer] = field(default_factory=dict)
    #: What the rightful caller gets: OK, or INVALID where the row's body cannot be a valid one (said why).
    rightful_answer: Answer = Answer.OK
    #: Text that no one but the rightful caller may be shown when served (a list filtered by caller).
    must_not_show: tuple[str, ...] = ()

    def cells(self) -> dict[str, Answer]:
        cells = {
            "anonymous": self.anonymous,
            "citizen": self.citizen,
            "member_admin": self.member_admin,
            "subsystem": self.subsystem,
            "admin_1fa": self.admin_1fa,
            **self.more,
        }
        if self.rightful is not None:
            cells[self.rightful] = self.rightful_answer
        return cells


def row(
    call: Call,
    answers: tuple[Answer, Answer, Answer, Answer, Answer],
    rightful: str | None,
    *,
    rightful_answer: Answer = Answer.OK,
    must_not_show: tuple[str, ...] = (),
    **more: Answer,
) -> Row:
    return Row(call, *answers, rightful, more, rightful_answer, must_not_show)


def get(path: str, **options: object) -> Call:
    return Call("GET", path, **options)  # type: ignore[arg-type]


def post(path: str, **options: object) -> Call:
    return Call("POST", path, **options)  # type: ignore[arg-type]


#: Everyone is served.
EVERYONE = (OK, OK, OK, OK, OK)
#: A page for people who are signed in: the browsers without a session are sent to sign in.
SIGNED_IN_PAGE = (SIGN_IN, OK, OK, SIGN_IN, OK)
#: A page for platform administrators with two factors: the one with a password only steps up.
ADMIN_PAGE = (SIGN_IN, E403, E403, SIGN_IN, SIGN_IN)
#: An API for a token with an admin scope: no token 401, a token without the scope 403.
ADMIN_API = (E401, E401, E401, E403, E401)
#: A register's data or its grants without a verified caller: 401 (finding 1); another member's verified
#: subsystem that holds no grant: 403.
REGISTER = (E401, E401, E401, E403, E401)
#: Defining a database whose code another member's personal register holds: the code is taken (409), which
#: uniqueness makes unavoidable to say; by whom is not said.
CODE_TAKEN = (E401, E401, E401, Answer.CONFLICT, E401)
#: Any verified caller (the other member's subsystem among them); 401 without one (finding 1).
ANY_VERIFIED = (E401, E401, E401, OK, E401)
#: A personal register's catalogue entry or grants: 401 without a verified caller (finding 1); hidden from
#: another member that may not use the register (404, as for no such register).
NOT_YOURS = (E401, E401, E401, E404, E401)
#: A confirmation of an applicant: only the organisation's directors see it, at two factors.
CONFIRMATION = (SIGN_IN, E404, E404, SIGN_IN, SIGN_IN)

P, S, M = PROVIDER, SERVICE, PROVIDER_MEMBER
SERVICE_ROUTE = "/members/services/{instance}/{memberClass}/{memberCode}/{subsystemCode}/{serviceCode}"
GATEWAY = f"/r1/{S}/items/1234567890"
WRITE = {"write": {"content": {"key": "P-0002", "name": "Bo Example", "person_id": "GH100000043"}}}
QUERY = {"query": {"content": {"key": "P-0001"}}}
UPDATE = {"query": {"content": {"key": "P-0001"}}, "write": {"content": {"key": "P-0001", "name": "Ann"}}}
DATA = "/data/permits/1"
#: A subsystem key for applications made in the tests.
SPARE_KEYS = ClientKeys()
APPLY_FORM = {
    "organisation-name": "Hollerton Community Boats",
    "registration-number": "RC000888",
    "organisation-type": "ORG-charity",
    "member-code": "",
    "contact-name": "Sam Example",
    "contact-email": "sam@boats.example",
    "subsystem-code": "boats",
    "public-key": json.dumps(SPARE_KEYS.jwks),
}
PASSWORD = "correct horse battery staple"
FORM = "application/x-www-form-urlencoded"
PAR = {
    "response_type": "code",
    "client_id": "{relying_party}",
    "redirect_uri": REDIRECT_URI,
    "scope": "openid email",
    "state": "matrix-state",
    "nonce": "matrix-nonce",
    "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
    "code_challenge_method": "S256",
}

TABLE: dict[str, Row] = {
    # --- health, home, docs ---------------------------------------------------------------------------
    "GET /healthz": row(get("/healthz"), EVERYONE, "anonymous"),
    "GET /readyz": row(get("/readyz"), EVERYONE, "anonymous"),
    # Finding 12: behind the metrics token.
    "GET /metrics": row(get("/metrics"), (E401, E401, E401, E401, E401), "metrics_scraper"),
    "GET /": row(get("/"), EVERYONE, "anonymous"),
    "GET /brand.css": row(get("/brand.css"), EVERYONE, "anonymous"),
    "GET /docs": row(get("/docs"), EVERYONE, "anonymous"),
    "GET /dev/mail": row(get("/dev/mail"), EVERYONE, "anonymous"),
    # --- ledgers: public by design (leaves are salted commitments) -------------------------------------
    "GET /ledgers": row(get("/ledgers"), EVERYONE, "anonymous"),
    "GET /ledgers/{name}": row(get("/ledgers/exchange"), EVERYONE, "anonymous"),
    "GET /ledgers/{name}/checkpoint": row(get("/ledgers/exchange/checkpoint"), EVERYONE, "anonymous"),
    "GET /ledgers/{name}/key": row(get("/ledgers/exchange/key"), EVERYONE, "anonymous"),
    "GET /ledgers/{name}/keys": row(get("/ledgers/exchange/keys"), EVERYONE, "anonymous"),
    "GET /ledgers/{name}/entries": row(get("/ledgers/exchange/entries"), EVERYONE, "anonymous"),
    "GET /ledgers/{name}/proof/inclusion": row(
        get("/ledgers/exchange/proof/inclusion?index=0"), EVERYONE, "anonymous"
    ),
    "GET /ledgers/{name}/proof/consistency": row(
        get("/ledgers/exchange/proof/consistency?first=1"), EVERYONE, "anonymous"
    ),
    # --- registries: data API on the personal register `permits` (owned by the provider) ----------------
    "GET /data/MyPersonalDataUsage/1.0": row(
        get("/data/MyPersonalDataUsage/1.0?userId=GH100000042&databaseId=PERMITS"),
        ANY_VERIFIED,
        "provider_subsystem",
    ),
    "GET /data/myPersonalDataUsage": row(
        get("/data/myPersonalDataUsage?userId=GH100000042&databaseId=PERMITS"),
        ANY_VERIFIED,
        "provider_subsystem",
    ),
    "GET /data/{registryName}/{versionNumber}": row(get(DATA), REGISTER, "client_subsystem"),
    "GET /data/{registryName}/{versionNumber} [open]": row(get("/data/shops/1"), EVERYONE, "anonymous"),
    "POST /data/{registryName}/{versionNumber}/create": row(
        post(DATA + "/create", json=WRITE), REGISTER, "provider_subsystem"
    ),
    "POST /data/{registryName}/{versionNumber}/read": row(
        post(DATA + "/read", json=QUERY), REGISTER, "client_subsystem"
    ),
    "POST /data/{registryName}/{versionNumber}/read [open]": row(
        post("/data/shops/1/read", json={"query": {"content": {"key": "S-0001"}}}), EVERYONE, "anonymous"
    ),
    "POST /data/{registryName}/{versionNumber}/exists": row(
        post(DATA + "/exists", json=QUERY), REGISTER, "client_subsystem"
    ),
    "PUT /data/{registryName}/{versionNumber}/update": row(
        Call("PUT", DATA + "/update", json=UPDATE), REGISTER, "provider_subsystem"
    ),
    "PUT /data/{registryName}/{versionNumber}/update-entries": row(
        Call("PUT", DATA + "/update-entries", json=UPDATE), REGISTER, "provider_subsystem"
    ),
    "PUT /data/{registryName}/{versionNumber}/updateEntries": row(
        Call("PUT", DATA + "/updateEntries", json=UPDATE), REGISTER, "provider_subsystem"
    ),
    "POST /data/{registryName}/{versionNumber}/updateOrCreate": row(
        post(DATA + "/updateOrCreate", json=UPDATE), REGISTER, "provider_subsystem"
    ),
    "POST /data/{registryName}/{versionNumber}/update-or-create": row(
        post(DATA + "/update-or-create", json=UPDATE), REGISTER, "provider_subsystem"
    ),
    "DELETE /data/{registryName}/{versionNumber}/{ID}/delete": row(
        Call("DELETE", DATA + "/P-0001/delete"), REGISTER, "provider_subsystem"
    ),
    "GET /data/{registryName}/{versionNumber}/{uuid}/read-value/{field}.{ext}": row(
        get(DATA + "/P-0001/read-value/name.json"), REGISTER, "client_subsystem"
    ),
    "GET /data/{registryName}/{versionNumber}/{uuid}/readValue/{field}.{ext}": row(
        get(DATA + "/P-0001/readValue/name.json"), REGISTER, "client_subsystem"
    ),
    # --- registries: databases and grants ----------------------------------------------------------------
    # The catalogue: anyone sees the open registers; a personal one, and who owns it, only those who may
    # use it (finding 1: the owner shown to anyone was the first step of the review's attack).
    "GET /databases": row(
        get("/databases"), EVERYONE, "provider_subsystem", must_not_show=("PERMITS", "BIRTH", PROVIDER_MEMBER)
    ),
    # A personal register's database: 401 without a verified caller; hidden from another member.
    "GET /database/{id}": row(get("/database/{database}"), NOT_YOURS, "provider_subsystem"),
    "DELETE /database/{id}": row(
        Call("DELETE", "/database/{spare_database}"), NOT_YOURS, "provider_subsystem"
    ),
    "POST /database/modify": row(
        post(
            "/database/modify",
            json={"code": "PERMITS", "schema": DATABASE_SCHEMA, "classification": "personal"},
        ),
        CODE_TAKEN,
        "provider_subsystem",
    ),
    "GET /registers/{name}/grants": row(get("/registers/permits/grants"), NOT_YOURS, "provider_subsystem"),
    "POST /registers/{name}/grants": row(
        post("/registers/permits/grants", json={"client": OTHER}), NOT_YOURS, "provider_subsystem"
    ),
    "DELETE /registers/{name}/grants/{grantee:path}": row(
        Call("DELETE", f"/registers/permits/grants/{CLIENT}"), NOT_YOURS, "provider_subsystem"
    ),
    # --- registries: open data and pages (a personal register publishes nothing) ----------------------
    "GET /registers/{name}/download.csv": row(get("/registers/shops/download.csv"), EVERYONE, "anonymous"),
    "GET /registers/{name}/download.csv [personal]": row(
        get("/registers/permits/download.csv"), (E403,) * 5, None, provider_subsystem=E403
    ),
    "GET /registers/{name}/download.json": row(get("/registers/shops/download.json"), EVERYONE, "anonymous"),
    "GET /registers/{name}/download.json [personal]": row(
        get("/registers/permits/download.json"), (E403,) * 5, None, provider_subsystem=E403
    ),
    "GET /registers/{name}/entries.json": row(get("/registers/shops/entries.json"), EVERYONE, "anonymous"),
    "GET /registers": row(get("/registers"), EVERYONE, "anonymous"),
    "GET /registers/{name}": row(get("/registers/permits"), EVERYONE, "anonymous"),
    "GET /registers/{name}/records/{key:path}": row(
        get("/registers/shops/records/S-0001"), EVERYONE, "anonymous"
    ),
    "GET /registers/{name}/records/{key:path} [personal]": row(
        get("/registers/permits/records/P-0001"), (E404,) * 5, None, provider_subsystem=E404
    ),
    # --- identity: sign-up, sign-in, account pages -------------------------------------------------------
    "GET /sign-up": row(get("/sign-up"), EVERYONE, "anonymous"),
    "POST /sign-up": row(
        post("/sign-up", form={"email": "new.person@matrix.example", "password": PASSWORD}),
        EVERYONE,
        "anonymous",
    ),
    # Links from mail: whoever holds the link (anyone, signed in or not) may follow it.
    "GET /sign-up/verify": row(get("/sign-up/verify?token={sign_up_token}"), EVERYONE, "anonymous"),
    "POST /sign-up/verify": row(
        post("/sign-up/verify", form={"token": "{sign_up_token}"}), EVERYONE, "anonymous"
    ),
    "GET /account/authenticator": row(get("/account/authenticator"), SIGNED_IN_PAGE, "admin_1fa"),
    "POST /account/authenticator": row(
        post("/account/authenticator", form={"secret": "", "code": ""}), SIGNED_IN_PAGE, "admin_1fa"
    ),
    "GET /sign-in": row(get("/sign-in"), EVERYONE, "anonymous"),
    # The right password: on to the code (not a refusal).
    "POST /sign-in": row(
        post("/sign-in", form={"email": "citizen@matrix.example", "password": PASSWORD}),
        EVERYONE,
        "anonymous",
    ),
    "GET /sign-in/code": row(get("/sign-in/code"), SIGNED_IN_PAGE, "halfway"),
    "POST /sign-in/code": row(post("/sign-in/code", form={"code": "{totp}"}), SIGNED_IN_PAGE, "halfway"),
    "POST /sign-out": row(post("/sign-out", form={}), EVERYONE, "citizen"),
    "GET /signed-out": row(get("/signed-out"), EVERYONE, "anonymous"),
    "GET /password-reset": row(get("/password-reset"), EVERYONE, "anonymous"),
    "POST /password-reset": row(
        post("/password-reset", form={"email": "citizen@matrix.example"}), EVERYONE, "anonymous"
    ),
    "GET /password-reset/new": row(get("/password-reset/new?token={reset_token}"), EVERYONE, "anonymous"),
    "POST /password-reset/new": row(
        post("/password-reset/new", form={"token": "{reset_token}", "password": "another new password 42"}),
        EVERYONE,
        "anonymous",
    ),
    "GET /account": row(get("/account"), SIGNED_IN_PAGE, "citizen"),
    "POST /account/recovery-codes": row(post("/account/recovery-codes", form={}), SIGNED_IN_PAGE, "citizen"),
    "POST /account/devices/sign-out": row(
        post("/account/devices/sign-out", form={"sid": "no-such-session"}), SIGNED_IN_PAGE, "citizen"
    ),
    "POST /account/sign-out-everywhere": row(
        post("/account/sign-out-everywhere", form={}), EVERYONE, "citizen"
    ),
    "GET /account/security-keys/new": row(get("/account/security-keys/new"), SIGNED_IN_PAGE, "citizen"),
    # The WebAuthn ceremony is not made here (tests/functional/identity/test_security_keys.py makes it):
    # a signed-in person's form is read and answered with what is missing.
    "POST /account/security-keys": row(
        post("/account/security-keys", form={"name": "My key", "credential": ""}),
        # The administrator with a password only is sent to add an authenticator app first.
        (SIGN_IN, INVALID, INVALID, SIGN_IN, OK),
        "citizen",
        rightful_answer=INVALID,
    ),
    "POST /account/security-keys/remove": row(
        post("/account/security-keys/remove", form={"key_id": "1"}), SIGNED_IN_PAGE, "citizen"
    ),
    # The second factor by security key: for a browser past its password (the others sign in first).
    "GET /sign-in/security-key": row(get("/sign-in/security-key"), SIGNED_IN_PAGE, "halfway"),
    "POST /sign-in/security-key": row(
        post("/sign-in/security-key", form={"credential": ""}), SIGNED_IN_PAGE, "halfway"
    ),
    "GET /account/prove-identity": row(get("/account/prove-identity"), SIGNED_IN_PAGE, "citizen"),
    "POST /account/prove-identity": row(
        post(
            "/account/prove-identity",
            form={
                "given-name": "Zoë",
                "family-name": "O'Brien-Archer",
                "date-of-birth-day": "14",
                "date-of-birth-month": "3",
                "date-of-birth-year": "1987",
                "registration-number": "B100001",
            },
        ),
        SIGNED_IN_PAGE,
        "citizen",
    ),
    "GET /account/organisations": row(get("/account/organisations"), SIGNED_IN_PAGE, "citizen"),
    # --- identity: OpenID provider -------------------------------------------------------------------------
    "GET /.well-known/openid-configuration": row(
        get("/.well-known/openid-configuration"), EVERYONE, "anonymous"
    ),
    "GET /.well-known/jwks.json": row(get("/.well-known/jwks.json"), EVERYONE, "anonymous"),
    # A client authenticates with its own key: anyone else is 401 (the other member's subsystem gets a
    # token for itself, which is its right).
    "POST /token": row(
        post("/token", oauth={"grant_type": "client_credentials"}),
        (E401, E401, E401, OK, E401),
        "members_admin_client",
    ),
    "GET /userinfo": row(get("/userinfo"), (E401, E401, E401, E403, E401), "citizen_token"),
    "POST /userinfo": row(post("/userinfo"), (E401, E401, E401, E403, E401), "citizen_token"),
    "POST /introspect": row(
        post("/introspect", oauth={"token": "not-a-token"}), (E401, E401, E401, OK, E401), "relying_party"
    ),
    "POST /revoke": row(
        post("/revoke", oauth={"token": "not-a-token"}), (E401, E401, E401, OK, E401), "relying_party"
    ),
    "GET /logout": row(get("/logout"), EVERYONE, "citizen"),
    "POST /logout": row(post("/logout", form={}), EVERYONE, "citizen"),
    "POST /logout/confirm": row(post("/logout/confirm", form={}), EVERYONE, "citizen"),
    "GET /account/services": row(get("/account/services"), SIGNED_IN_PAGE, "citizen"),
    "POST /account/services/withdraw": row(
        post("/account/services/withdraw", form={"client_id": "{relying_party}"}),
        (SIGN_IN, OK, BAD, SIGN_IN, BAD),
        "citizen",
    ),
    "GET /authorize": row(get("/authorize?" + "{authorize}"), (SIGN_IN, OK, OK, SIGN_IN, SIGN_IN), "citizen"),
    "POST /authorize": row(
        Call("POST", "/authorize", content="{authorize}", headers={"Content-Type": FORM}),
        (SIGN_IN, OK, OK, SIGN_IN, SIGN_IN),
        "citizen",
    ),
    # The relying party asks for two factors: the administrator with a password only steps up.
    "GET /authorize/continue": row(
        get("/authorize/continue?request_uri={request_uri}", journey=True),
        (SIGN_IN, OK, OK, SIGN_IN, SIGN_IN),
        "citizen",
    ),
    "POST /authorize/consent": row(
        post("/authorize/consent", form={"request_uri": "{request_uri}", "decision": "allow"}, journey=True),
        (SIGN_IN, OK, OK, SIGN_IN, SIGN_IN),
        "citizen",
    ),
    "GET /trustmark": row(get("/trustmark"), EVERYONE, "anonymous"),
    # Only the relying party's own key authenticates its pushed request.
    "POST /par": row(post("/par", oauth=PAR), (E401, E401, E401, E401, E401), "relying_party"),
    # --- identity: the relying-party admin API -----------------------------------------------------------
    "POST /identity/clients": row(
        post(
            "/identity/clients",
            json={
                "name": "Library cards",
                "organisation": "Testshire Council",
                "purpose": "To check who you are.",
                "redirectUris": ["https://library.example/callback"],
                "allowedScopes": ["openid"],
                "tokenEndpointAuthMethod": "client_secret_post",
            },
        ),
        ADMIN_API,
        "identity_admin_client",
    ),
    "GET /identity/clients": row(get("/identity/clients"), ADMIN_API, "identity_admin_client"),
    "GET /identity/clients/{clientId}": row(
        get("/identity/clients/{relying_party}"), ADMIN_API, "identity_admin_client"
    ),
    "POST /identity/clients/{clientId}/disable": row(
        post("/identity/clients/{relying_party}/disable"), ADMIN_API, "identity_admin_client"
    ),
    # --- members: the admin API ------------------------------------------------------------------------
    "POST /members/applications": row(
        post(
            "/members/applications",
            json={
                "organisationName": "Hollerton Community Boats",
                "registrationNumber": "RC000888",
                "memberClass": "ORG",
                "organisationKind": "charity",
                "contactName": "Sam Example",
                "contactEmail": "sam@boats.example",
                "subsystemCode": "boats",
                "jwks": SPARE_KEYS.jwks,
            },
        ),
        ADMIN_API,
        "members_admin_client",
    ),
    "GET /members/applications": row(get("/members/applications"), ADMIN_API, "members_admin_client"),
    "GET /members/applications/{applicationId}": row(
        get("/members/applications/{application}"), ADMIN_API, "members_admin_client"
    ),
    "POST /members/applications/{applicationId}/approve": row(
        post("/members/applications/{application}/approve", json={}), ADMIN_API, "members_admin_client"
    ),
    "POST /members/applications/{applicationId}/reject": row(
        post("/members/applications/{application}/reject", json={"reason": "Not a public body."}),
        ADMIN_API,
        "members_admin_client",
    ),
    "GET /members/members": row(get("/members/members"), ADMIN_API, "members_admin_client"),
    "GET /members/members/{instance}/{memberClass}/{memberCode}": row(
        get(f"/members/members/{M}"), ADMIN_API, "members_admin_client"
    ),
    "POST /members/members/{instance}/{memberClass}/{memberCode}/suspend": row(
        post(f"/members/members/{M}/suspend", json={"reason": "Testing."}), ADMIN_API, "members_admin_client"
    ),
    "POST /members/members/{instance}/{memberClass}/{memberCode}/reinstate": row(
        post(f"/members/members/{DORMANT_MEMBER}/reinstate", json={"reason": "Testing."}),
        ADMIN_API,
        "members_admin_client",
    ),
    "GET /members/subsystems/{instance}/{memberClass}/{memberCode}/{subsystemCode}": row(
        get(f"/members/subsystems/{P}"), ADMIN_API, "members_admin_client"
    ),
    # --- members: the services API (the provider's own administrator, or the admin token) ----------------
    # Another member's administrator does not see the provider's services (404); finding 13: a platform
    # administrator needs two factors (403).
    "GET /members/services": row(get("/members/services"), (E401, E403, OK, E403, E403), "provider_admin"),
    "POST /members/services": row(
        post(
            "/members/services",
            json={
                "subsystem": P,
                "serviceCode": "second",
                "baseUrl": "https://badges.example/api/",
                "openapi": ITEMS_API,
            },
        ),
        (E401, E403, E404, E403, E403),
        "provider_admin",
    ),
    f"GET {SERVICE_ROUTE}": row(
        get(f"/members/services/{S}"), (E401, E403, E404, E403, E403), "provider_admin"
    ),
    f"GET {SERVICE_ROUTE}/openapi": row(
        get(f"/members/services/{S}/openapi"), (E401, E403, E404, E403, E403), "provider_admin"
    ),
    f"PATCH {SERVICE_ROUTE}": row(
        Call("PATCH", f"/members/services/{S}", json={"title": "Items, renamed"}),
        (E401, E403, E404, E403, E403),
        "provider_admin",
    ),
    f"POST {SERVICE_ROUTE}/disable": row(
        post(f"/members/services/{S}/disable", json={}), (E401, E403, E404, E403, E403), "provider_admin"
    ),
    f"POST {SERVICE_ROUTE}/enable": row(
        post(f"/members/services/{S}/enable", json={}), (E401, E403, E404, E403, E403), "provider_admin"
    ),
    f"POST {SERVICE_ROUTE}/rights": row(
        post(f"/members/services/{S}/rights", json={"client": OTHER}),
        (E401, E403, E404, E403, E403),
        "provider_admin",
    ),
    f"POST {SERVICE_ROUTE}/rights/revoke": row(
        post(f"/members/services/{S}/rights/revoke", json={"client": CLIENT}),
        (E401, E403, E404, E403, E403),
        "provider_admin",
    ),
    # --- members: pages --------------------------------------------------------------------------------
    "GET /members": row(get("/members"), EVERYONE, "anonymous"),
    "GET /members/apply": row(get("/members/apply"), SIGNED_IN_PAGE, "citizen"),
    "POST /members/apply": row(post("/members/apply", form=APPLY_FORM), SIGNED_IN_PAGE, "citizen"),
    "GET /members/yours": row(get("/members/yours"), SIGNED_IN_PAGE, "provider_admin"),
    # For member administrators: a citizen, or a platform administrator who administers no member, 403.
    "GET /members/yours/services": row(
        get("/members/yours/services"), (SIGN_IN, E403, OK, SIGN_IN, E403), "provider_admin"
    ),
    "POST /members/yours/services/grant": row(
        post("/members/yours/services/grant", form={"service": S, "client": OTHER, "endpoint": ""}),
        (SIGN_IN, E403, E404, SIGN_IN, E403),
        "provider_admin",
    ),
    "POST /members/yours/services/revoke": row(
        post("/members/yours/services/revoke", form={"service": S, "client": CLIENT, "endpoint": ""}),
        (SIGN_IN, E403, E404, SIGN_IN, E403),
        "provider_admin",
    ),
    # A director of the organisation an applicant claims to act for confirms or declines them (finding 7):
    # anyone else is shown nothing; a platform administrator without two factors is asked for them.
    "GET /members/yours/confirmations/{reference}": row(
        get("/members/yours/confirmations/{confirmation}"), CONFIRMATION, "provider_admin"
    ),
    "POST /members/yours/confirmations/{reference}/confirm": row(
        post("/members/yours/confirmations/{confirmation}/confirm", form={}), CONFIRMATION, "provider_admin"
    ),
    "POST /members/yours/confirmations/{reference}/decline": row(
        post(
            "/members/yours/confirmations/{confirmation}/decline",
            form={"reason": "We do not know this person."},
        ),
        CONFIRMATION,
        "provider_admin",
    ),
    "GET /members/yours/traffic": row(
        get("/members/yours/traffic"), (SIGN_IN, E403, OK, SIGN_IN, E403), "provider_admin"
    ),
    "GET /members/admin/traffic": row(get("/members/admin/traffic"), ADMIN_PAGE, "platform_admin"),
    "GET /members/admin/applications": row(get("/members/admin/applications"), ADMIN_PAGE, "platform_admin"),
    "GET /members/admin/applications/{reference}": row(
        get("/members/admin/applications/{application}"), ADMIN_PAGE, "platform_admin"
    ),
    "POST /members/admin/applications/{reference}/approve": row(
        post("/members/admin/applications/{application}/approve", form={}), ADMIN_PAGE, "platform_admin"
    ),
    "POST /members/admin/applications/{reference}/reject": row(
        post("/members/admin/applications/{application}/reject", form={"reason": "Not a public body."}),
        ADMIN_PAGE,
        "platform_admin",
    ),
    "GET /members/admin/members": row(get("/members/admin/members"), ADMIN_PAGE, "platform_admin"),
    "GET /members/admin/members/{instance}/{memberClass}/{memberCode}": row(
        get(f"/members/admin/members/{M}"), ADMIN_PAGE, "platform_admin"
    ),
    "POST /members/admin/members/{instance}/{memberClass}/{memberCode}/suspend": row(
        post(f"/members/admin/members/{M}/suspend", form={"reason": "Testing."}), ADMIN_PAGE, "platform_admin"
    ),
    "POST /members/admin/members/{instance}/{memberClass}/{memberCode}/reinstate": row(
        post(f"/members/admin/members/{DORMANT_MEMBER}/reinstate", form={"reason": "Testing."}),
        ADMIN_PAGE,
        "platform_admin",
    ),
    # --- the directory and the catalogue (public information) --------------------------------------------
    "GET /listClients": row(get("/listClients"), EVERYONE, "anonymous"),
    "GET /r1/{instanceId}/{memberClass}/{memberCode}/{applicationCode}/listMethods": row(
        get(f"/r1/{P}/listMethods"), EVERYONE, "anonymous"
    ),
    "GET /{instanceId}/{memberClass}/{memberCode}/{applicationCode}/listMethods": row(
        get(f"/{P}/listMethods"), EVERYONE, "anonymous"
    ),
    "GET /r1/{instanceId}/{memberClass}/{memberCode}/{applicationCode}/getOpenAPI": row(
        get(f"/r1/{P}/getOpenAPI?serviceCode=eligibility"), EVERYONE, "anonymous"
    ),
    "GET /{instanceId}/{memberClass}/{memberCode}/{applicationCode}/getOpenAPI": row(
        get(f"/{P}/getOpenAPI?serviceCode=eligibility"), EVERYONE, "anonymous"
    ),
    # The rights a client holds on a provider: that client's own token only. Anyone else is answered what
    # anyone may call without a right: the empty list, no service in it.
    "GET /r1/{instanceId}/{memberClass}/{memberCode}/{applicationCode}/allowedMethods": row(
        get(f"/r1/{P}/allowedMethods"), EVERYONE, "client_subsystem", must_not_show=('"serviceCode"',)
    ),
    "GET /{instanceId}/{memberClass}/{memberCode}/{applicationCode}/allowedMethods": row(
        get(f"/{P}/allowedMethods"), EVERYONE, "client_subsystem", must_not_show=('"serviceCode"',)
    ),
    "GET /catalogue.json": row(get("/catalogue.json"), EVERYONE, "anonymous"),
    "GET /catalogue.csv": row(get("/catalogue.csv"), EVERYONE, "anonymous"),
    "GET /catalogue": row(get("/catalogue"), EVERYONE, "anonymous"),
    # --- the exchange: the gateway (a subsystem's token and a right), the tracker, proofs -----------------
    # Finding 5: a person's token names the person to the provider only if it was issued to the calling
    # subsystem's own client; the citizen's token from another service is refused.
    "GET /r1/{rest:path}": row(
        get(GATEWAY),
        (E401, E401, E401, E403, E401),
        "client_subsystem",
        client_with_foreign_person_token=E403,
    ),
    "POST /r1/{rest:path}": row(
        post(f"/r1/{S}/items", json={"a": 1}), (E401, E401, E401, E403, E401), "client_subsystem"
    ),
    "PUT /r1/{rest:path}": row(
        Call("PUT", GATEWAY, json={"a": 1}), (E401, E401, E401, E403, E401), "client_subsystem"
    ),
    "PATCH /r1/{rest:path}": row(
        Call("PATCH", GATEWAY, json={"a": 1}), (E401, E401, E401, E403, E401), "client_subsystem"
    ),
    "DELETE /r1/{rest:path}": row(
        Call("DELETE", GATEWAY), (E401, E401, E401, E403, E401), "client_subsystem"
    ),
    "HEAD /r1/{rest:path}": row(Call("HEAD", GATEWAY), (E401, E401, E401, E403, E401), "client_subsystem"),
    "OPTIONS /r1/{rest:path}": row(
        Call("OPTIONS", GATEWAY), (E401, E401, E401, E403, E401), "client_subsystem"
    ),
    # Finding 5: the tracker takes a token of its own scope (or the platform's pages), not any openid
    # token another service was given.
    "GET /exchange/tracker": row(
        get("/exchange/tracker"), (E401, E401, E401, E403, E401), "tracker_token", citizen_token=E403
    ),
    "GET /exchange/records/{messageId}/proof": row(
        get("/exchange/records/{message_id}/proof"), EVERYONE, "anonymous"
    ),
    "GET /account/data-use": row(get("/account/data-use"), SIGNED_IN_PAGE, "citizen"),
    # Another person's record is not theirs to see, nor to learn of.
    "GET /account/data-use/{message_id}": row(
        get("/account/data-use/{message_id}"), (SIGN_IN, OK, E404, SIGN_IN, E404), "citizen"
    ),
}


def _route_keys(app: FastAPI) -> set[str]:
    return {
        f"{method} {route.path}"
        for route in app.routes
        if isinstance(route, APIRoute)
        for method in sorted(route.methods or ())
    }


def _cells() -> Iterator[object]:
    for key, spec in TABLE.items():
        for who, expected in spec.cells().items():
            yield pytest.param(key, who, expected, id=f"{key} | {who}")


#: The app's routes that are not API routes, and so have no row: the OpenAPI document and the static assets,
#: public by nature. Anything else mounted or added beside the routers would escape the matrix.
NOT_API_ROUTES = {"Route /openapi.json", "Mount /assets"}


def test_the_matrix_covers_every_route() -> None:
    app = create_app(make_settings("sqlite:///:memory:"))
    not_api = {
        f"{type(route).__name__} {getattr(route, 'path', route)}"
        for route in app.routes
        if not isinstance(route, APIRoute)
    }
    assert not_api == NOT_API_ROUTES, "a route beside the API routes, which the matrix cannot try"
    routes = _route_keys(app)
    rows = {key.split(" [", 1)[0] for key in TABLE}
    assert sorted(routes - rows) == [], "routes missing from the matrix"
    assert sorted(rows - routes) == [], "rows of routes that no longer exist"
    assert all(set(PERSONAS) <= set(spec.cells()) for spec in TABLE.values())


@pytest.mark.parametrize(("key", "who", "expected"), list(_cells()))
async def test_the_route_answers_the_caller_as_the_matrix_says(
    world: World, world_client: httpx.AsyncClient, key: str, who: str, expected: Answer
) -> None:
    spec = TABLE[key]
    response = await send(world_client, world, world[who], spec.call)
    got = answer_of(response)
    where = response.headers.get("location", "")
    assert got == expected, f"{key} as {who}: {response.status_code} {where} {response.text[:500]}"
    if got == OK and who != spec.rightful:
        shown = [text for text in spec.must_not_show if text in response.text]
        assert shown == [], f"{key} as {who} shows {shown}: {response.text[:500]}"
