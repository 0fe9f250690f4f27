"""Identity benchmark: the OpenID Connect provider on one worker (one uvicorn process, over real HTTP on
loopback), with `GET /healthz` measured by the same load generator in the same run as the reference.

    .venv/bin/python -m benchmarks.identity [--duration 10] [--concurrency 32] [--login-duration 20]
        [--login-concurrency 8] [--verifications 5000] [--database-url postgresql://...] [--no-wrk]

(a) `client_credentials` grants/s: with `client_secret_post` driven by wrk (a C load generator, when
    installed: `apt-get install wrk`), and with `private_key_jwt` driven by httpx with keep-alive (each
    request carries its own pre-signed assertion with a fresh `jti`, which wrk cannot make).
(b) complete interactive code-flow logins/s: authorization request, sign-in page, password, TOTP code,
    remembered consent, redirect with the code, and the code exchanged at the token endpoint with PKCE and
    `private_key_jwt`, each login a different person (each TOTP code is accepted once), several in
    flight. The argon2id time per login is measured separately, in this process.
(c) ID token verifications/s by a relying party: signature against govhub's JWKS (joserfc) and the
    claims a relying party checks (iss, aud, exp, iat, nonce).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from alembic import command
from joserfc import jwt
from joserfc.jwk import ECKey, KeySet
from tests.support.oidc_journey import Person, sign_in

from govhub.config import Environment, Settings
from govhub.db import Database, alembic_config
from govhub.identity.accounts import passwords, totp
from govhub.identity.accounts.service import IdentityService, NewAccount
from govhub.identity.oidc.authorize.repository import AuthorizeRepository
from govhub.identity.oidc.clients.service import ClientRegistration, register_client
from govhub.identity.oidc.consent.service import Consents
from govhub.kit.clock import utcnow
from govhub.ledger import NoteSigner

PASSWORD = "benchmark password for govhub"  # noqa: S105 (a throwaway benchmark account)
REDIRECT_URI = "http://127.0.0.1:9/callback"  # never fetched: the login stops at the redirect
MACHINE_SCOPE = "bench:read"
TARGET_GRANTS = 1200
TARGET_LOGINS = 30


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class Seeded:
    secret_client_id: str
    client_secret: str
    jwt_client_id: str
    jwt_client_key: ECKey
    login_client_id: str
    login_client_key: ECKey
    people: list[Person]


async def _seed(settings: Settings, accounts: int) -> Seeded:
    """Clients and accounts, written through the provider's and the accounts' own services. Every account
    shares one password hash (made once) so that making a thousand accounts does not take a minute of
    argon2id; verifying it at sign-in costs what any account's does."""
    database = Database(settings)
    shared_hash = passwords.hash_password(PASSWORD)
    jwt_key, login_key = ECKey.generate_key("P-256"), ECKey.generate_key("P-256")
    jwt_key.ensure_kid()
    login_key.ensure_kid()
    people: list[Person] = []
    try:
        async with database.sessions() as session, session.begin():
            secret_client = await register_client(
                session,
                ClientRegistration(
                    name="Benchmark machine (secret)",
                    organisation="Benchmarks",
                    token_endpoint_auth_method="client_secret_post",  # noqa: S106 (a method name)
                    allowed_scopes=[MACHINE_SCOPE],
                ),
            )
            jwt_client = await register_client(
                session,
                ClientRegistration(
                    name="Benchmark machine (private_key_jwt)",
                    organisation="Benchmarks",
                    jwks={"keys": [jwt_key.as_dict(private=False)]},
                    allowed_scopes=[MACHINE_SCOPE],
                ),
            )
            login_client = await register_client(
                session,
                ClientRegistration(
                    name="Benchmark relying party",
                    organisation="Benchmarks",
                    redirect_uris=[REDIRECT_URI],
                    jwks={"keys": [login_key.as_dict(private=False)]},
                    grant_types=["authorization_code"],
                    allowed_scopes=["openid", "email"],
                    allowed_levels=["Cl", "Cl.Cm"],
                ),
            )
            service = IdentityService.for_session(session, settings)
            consents = Consents(AuthorizeRepository(session))
            for n in range(accounts):
                secret = totp.new_secret()
                email = f"bench{n}@example.org"
                new = NewAccount(email, PASSWORD, secret, "P0", email_verified=True)
                account = await service.create_account(new, password_hash=shared_hash)
                await consents.grant(account.id, login_client.client.client_id, ["openid", "email"], utcnow())
                # Each person from an address of their own, as behind a proxy (uvicorn trusts
                # X-Forwarded-For from loopback): the per-address sign-in throttle is not what is measured.
                address = f"10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}"
                people.append(Person(email, PASSWORD, secret, consents=True, address=address))
        assert secret_client.client_secret is not None
        return Seeded(
            secret_client.client.client_id,
            secret_client.client_secret,
            jwt_client.client.client_id,
            jwt_key,
            login_client.client.client_id,
            login_key,
            people,
        )
    finally:
        await database.dispose()


_PROFILED_SERVER = """
import cProfile, signal, sys, uvicorn
from govhub.app import create_app
# uvicorn raises the signal again once it has shut down; this handler lets the statistics be written.
signal.signal(signal.SIGTERM, lambda *_: None)
profile = cProfile.Profile()
profile.enable()
uvicorn.run(create_app(), host="127.0.0.1", port=int(sys.argv[1]), access_log=False, log_level="warning")
profile.disable()
profile.dump_stats(sys.argv[2])
"""


class Server:
    """govhub in a uvicorn process of its own (one worker), its output to `log` (/dev/null by default)."""

    def __init__(self, settings_env: dict[str, str], port: int, log: str, profile: str | None) -> None:
        self.base_url = f"http://127.0.0.1:{port}"
        self.log = Path(log).open("ab")  # noqa: SIM115 (closed in stop())
        uvicorn = ["-m", "uvicorn", "--factory", "govhub.app:create_app", "--host", "127.0.0.1"]
        uvicorn += ["--port", str(port), "--no-access-log", "--log-level", "warning"]
        # Profiled: the statistics are written when uvicorn returns after the SIGTERM of stop().
        profiled = ["-c", _PROFILED_SERVER, str(port), profile or ""]
        self.process = subprocess.Popen(  # noqa: S603 (our own interpreter and arguments)
            [sys.executable, *(profiled if profile else uvicorn)],
            env={**os.environ, **settings_env},
            stdout=self.log,
            stderr=self.log,
        )

    def wait_until_up(self) -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.base_url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.1)
        raise RuntimeError("govhub did not start")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=20)
        self.log.close()


_CYCLING_BODIES = """
local bodies = {}
for line in io.lines(%s) do bodies[#bodies + 1] = line end
local next_body = 0
request = function()
  next_body = next_body %% #bodies + 1
  return wrk.format("POST", nil, {["Content-Type"] = "application/x-www-form-urlencoded"}, bodies[next_body])
end
"""


@dataclass
class Rate:
    per_second: float
    #: Answers that were not 2xx, and connections that failed: reported, never counted as speed.
    failed: int

    def __str__(self) -> str:
        return f"{self.per_second:,.0f}" + (f" ({self.failed} FAILED)" if self.failed else "")


def _wrk(url: str, duration: int, concurrency: int, bodies: list[str] | None) -> Rate:
    """Requests/s from wrk on one thread with `concurrency` keep-alive connections: GET, or POSTs of
    `bodies` in turn. Answers that are not 2xx are counted as failures, so a body refused (a replayed
    assertion `jti`, an error) is never counted as speed."""
    with tempfile.TemporaryDirectory() as directory:
        script = Path(directory) / "post.lua"
        if bodies is None:
            script.write_text("")
        else:
            (Path(directory) / "bodies.txt").write_text("\n".join(bodies) + "\n")
            script.write_text(_CYCLING_BODIES % json.dumps(str(Path(directory) / "bodies.txt")))
        output = subprocess.run(  # noqa: S603
            ["wrk", "-t1", f"-c{concurrency}", f"-d{duration}s", "-s", str(script), url],  # noqa: S607
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    match = re.search(r"Requests/sec:\s+([\d.]+)", output)
    total = re.search(r"(\d+) requests in", output)
    assert match, output
    assert total, output
    failed = sum(int(n) for n in re.findall(r"Non-2xx or 3xx responses: (\d+)", output))
    # Read errors follow a server closing a connection after an error answer, already counted above.
    failed += sum(int(n) for n in re.findall(r"(?:connect|timeout) (\d+)", output))
    good = max(0, int(total.group(1)) - failed)
    return Rate(float(match.group(1)) * good / max(1, int(total.group(1))), failed)


async def _httpx_rate(
    base_url: str, duration: float, concurrency: int, send: Callable[[httpx.AsyncClient], Awaitable[None]]
) -> float:
    """Requests/s with `concurrency` requests in flight over keep-alive connections, for `duration`."""
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=30) as client:
        for _ in range(20):
            await send(client)  # warm up
        done = 0
        stop_at = time.perf_counter() + duration
        started = time.perf_counter()

        async def worker() -> None:
            nonlocal done
            while time.perf_counter() < stop_at:
                await send(client)
                done += 1

        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return done / (time.perf_counter() - started)


def _assertions(client_id: str, key: ECKey, audience: str, count: int) -> list[str]:
    now = int(time.time())
    header = {"alg": "ES256", "kid": key.kid}
    return [
        jwt.encode(
            header,
            {
                "iss": client_id,
                "sub": client_id,
                "aud": audience,
                "iat": now,
                "exp": now + 240,
                "jti": secrets.token_urlsafe(24),
            },
            key,
        )
        for _ in range(count)
    ]


def _grant_bodies(seeded: Seeded, token_url: str, count: int) -> tuple[list[str], list[str]]:
    """Request bodies for the two client authentication methods: one for `client_secret_post` (the same
    every time), and `count` for `private_key_jwt`, each with an assertion of its own (a fresh `jti`,
    signed before the clock starts, as a client would have done on its own machine)."""
    secret = str(
        httpx.QueryParams(
            grant_type="client_credentials",
            client_id=seeded.secret_client_id,
            client_secret=seeded.client_secret,
            scope=MACHINE_SCOPE,
        )
    )
    signed = [
        str(
            httpx.QueryParams(
                grant_type="client_credentials",
                client_id=seeded.jwt_client_id,
                client_assertion_type="urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                client_assertion=assertion,
                scope=MACHINE_SCOPE,
            )
        )
        for assertion in _assertions(seeded.jwt_client_id, seeded.jwt_client_key, token_url, count)
    ]
    return [secret], signed


async def client_credentials(server: Server, seeded: Seeded, args: argparse.Namespace) -> None:
    token_url = f"{server.base_url}/token"
    print(
        f"(a) client_credentials grants/s, one worker, {args.concurrency} connections, "
        f"{args.duration} s a run"
    )
    rounds = 2
    secret_bodies, signed_bodies = _grant_bodies(seeded, token_url, rounds * args.duration * 4000)
    async with httpx.AsyncClient() as http:
        form = {"Content-Type": "application/x-www-form-urlencoded"}
        check = await http.post(token_url, content=secret_bodies[0], headers=form)
    assert check.status_code == 200, check.text
    if not shutil.which("wrk") or args.no_wrk:
        await _client_credentials_with_httpx(server, args, secret_bodies[0], signed_bodies)
        return
    rates: dict[str, list[Rate]] = {"healthz": [], "secret": [], "jwt": []}
    for run in range(rounds):  # alternating, so that each shares the machine's noise
        rates["healthz"].append(_wrk(f"{server.base_url}/healthz", args.duration, args.concurrency, None))
        rates["secret"].append(_wrk(token_url, args.duration, args.concurrency, secret_bodies))
        # Each run its own assertions: a jti is accepted once.
        share = len(signed_bodies) // rounds
        mine = signed_bodies[run * share : (run + 1) * share]
        rates["jwt"].append(_wrk(token_url, args.duration, args.concurrency, mine))
    health, secret, signed = (max(r.per_second for r in rates[kind]) for kind in ("healthz", "secret", "jwt"))
    print(
        f"  wrk GET /healthz:                          {health:9,.0f} req/s  (runs {_runs(rates['healthz'])})"
    )
    for label, rate, kind in (
        ("client_secret_post", secret, "secret"),
        ("private_key_jwt (ES256)", signed, "jwt"),
    ):
        verdict = "met" if rate >= TARGET_GRANTS else "NOT met"
        print(
            f"  grants, {label + ':':<34}{rate:9,.0f} /s     (runs {_runs(rates[kind])}), "
            f"ratio to /healthz {rate / health:.2f}, target {TARGET_GRANTS:,}/s {verdict}"
        )


async def _client_credentials_with_httpx(
    server: Server, args: argparse.Namespace, secret_body: str, signed_bodies: list[str]
) -> None:
    """Without wrk: httpx in this process drives the load, and is itself most of what is measured."""
    print("  (wrk not installed; httpx drives the load, and its own cost is most of what is measured)")
    signed = iter(signed_bodies)
    form = {"Content-Type": "application/x-www-form-urlencoded"}

    async def healthz(client: httpx.AsyncClient) -> None:
        assert (await client.get("/healthz")).status_code == 200

    async def grant(client: httpx.AsyncClient, body: str | None = None) -> None:
        response = await client.post("/token", content=body or next(signed), headers=form)
        assert response.status_code == 200, response.text

    health = await _httpx_rate(server.base_url, args.duration, args.concurrency, healthz)
    secret = await _httpx_rate(
        server.base_url, args.duration, args.concurrency, lambda c: grant(c, secret_body)
    )
    jwt_rate = await _httpx_rate(server.base_url, args.duration, args.concurrency, grant)
    print(f"  httpx GET /healthz:                        {health:9,.0f} req/s")
    print(f"  grants, client_secret_post:                {secret:9,.0f} /s, ratio {secret / health:.2f}")
    print(f"  grants, private_key_jwt (ES256):           {jwt_rate:9,.0f} /s, ratio {jwt_rate / health:.2f}")


def _runs(rates: list[Rate]) -> str:
    return ", ".join(str(rate) for rate in rates)


def _pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


async def _login(
    base_url: str, transport: httpx.AsyncHTTPTransport, seeded: Seeded, person: Person
) -> dict[str, Any]:
    """One person's whole login, in a browser of their own (cookies), ending with the code exchanged."""
    verifier, challenge = _pkce()
    state, nonce = secrets.token_urlsafe(16), secrets.token_urlsafe(16)
    query = httpx.QueryParams(
        response_type="code",
        client_id=seeded.login_client_id,
        redirect_uri=REDIRECT_URI,
        scope="openid email",
        state=state,
        nonce=nonce,
        code_challenge=challenge,
        code_challenge_method="S256",
        vtr='["Cl.Cm"]',
    )
    # A browser of its own (cookies) on the shared connection pool; not closed, as closing a client
    # closes its transport, the pool every login in flight shares (closed once, at the end).
    browser = httpx.AsyncClient(base_url=base_url, transport=transport, timeout=30)
    callback = await sign_in(browser, f"/authorize?{query}", person, stop_at=REDIRECT_URI)
    assert callback.params.get("state") == state, callback
    token_url = f"{base_url}/token"
    (assertion,) = _assertions(seeded.login_client_id, seeded.login_client_key, token_url, 1)
    response = await browser.post(
        "/token",
        data={
            "grant_type": "authorization_code",
            "code": callback.params["code"],
            "redirect_uri": REDIRECT_URI,
            "code_verifier": verifier,
            "client_id": seeded.login_client_id,
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            "client_assertion": assertion,
        },
    )
    assert response.status_code == 200, response.text
    tokens: dict[str, Any] = response.json()
    tokens["nonce"] = nonce
    return tokens


async def logins(server: Server, seeded: Seeded, args: argparse.Namespace) -> dict[str, Any]:
    print(
        f"(b) interactive code-flow logins/s, one worker, {args.login_concurrency} in flight, "
        f"{args.login_duration} s"
    )
    people = iter(seeded.people)
    transport = httpx.AsyncHTTPTransport(
        limits=httpx.Limits(max_keepalive_connections=args.login_concurrency)
    )
    last: dict[str, Any] = {}
    done = 0
    for _ in range(3):  # warm up (a login refused here is counted below, as any other)
        try:
            await _login(server.base_url, transport, seeded, next(people))
            break
        except (AssertionError, httpx.HTTPError):
            continue
    stop_at = time.perf_counter() + args.login_duration
    started = time.perf_counter()

    failures: list[str] = []

    async def worker() -> None:
        nonlocal done, last
        while time.perf_counter() < stop_at:
            try:
                last = await _login(server.base_url, transport, seeded, next(people))
                done += 1
            except (AssertionError, httpx.HTTPError) as failure:
                failures.append(f"{type(failure).__name__}: {str(failure)[:300]}")

    await asyncio.gather(*(worker() for _ in range(args.login_concurrency)))
    rate = done / (time.perf_counter() - started)
    await transport.aclose()
    stored = passwords.hash_password(PASSWORD)
    samples = []
    for _ in range(20):
        began = time.perf_counter()
        assert passwords.verify_password(stored, PASSWORD)
        samples.append(time.perf_counter() - began)
    hashing = sorted(samples)[len(samples) // 2]
    print(f"  logins completed:                          {done:9,}   failed: {len(failures)}")
    if failures:
        print(f"  first failure: {failures[0]}")
    print(
        f"  logins/s:                                  {rate:9.1f}     target {TARGET_LOGINS}/s: "
        f"{'met' if rate >= TARGET_LOGINS else 'NOT met'}"
    )
    print(f"  argon2id verify (m=19 MiB, t=2, p=1), p50: {hashing * 1e3:9.1f} ms  (one per login)")
    print(
        f"  hashing's share of one worker at that rate:{rate * hashing * 100:9.0f} %   "
        f"(hashing alone caps one core at {1 / hashing:,.0f} logins/s)"
    )
    return last


async def verifications(server: Server, seeded: Seeded, tokens: dict[str, Any], count: int) -> None:
    print(f"(c) ID token verifications/s by a relying party (joserfc, in process), {count:,} tokens")
    async with httpx.AsyncClient(base_url=server.base_url) as http:
        discovery = (await http.get("/.well-known/openid-configuration")).json()
        keys = KeySet.import_key_set((await http.get(discovery["jwks_uri"])).json())
    id_token = tokens["id_token"]
    registry = jwt.JWTClaimsRegistry(
        leeway=30,
        iss={"essential": True, "value": discovery["issuer"]},
        aud={"essential": True, "value": seeded.login_client_id},
        exp={"essential": True},
        iat={"essential": True},
        nonce={"essential": True, "value": tokens["nonce"]},
    )
    started = time.perf_counter()
    for _ in range(count):
        registry.validate(jwt.decode(id_token, keys, algorithms=["ES256", "RS256"]).claims)
    rate = count / (time.perf_counter() - started)
    alg = json.loads(base64.urlsafe_b64decode(id_token.split(".")[0] + "==")).get("alg")
    print(f"  verifications/s ({alg}):                   {rate:9,.0f}")


def production_server(url: str, port: int) -> tuple[dict[str, str], Settings]:
    """The environment of a govhub server in production mode, as a deployment runs (its checks want a real
    secret and a ledger signing key), and the same settings for seeding its database in this process: the
    secret seals what the seeds keep (accounts' TOTP secrets)."""
    env = {
        "GOVHUB_DATABASE_URL": url,
        "GOVHUB_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "GOVHUB_ENVIRONMENT": Environment.PRODUCTION.value,
        "GOVHUB_SECRET_KEY": secrets.token_urlsafe(32),
        "GOVHUB_LEDGER_SIGNING_KEY": NoteSigner.generate(f"127.0.0.1:{port}/ledger").private_key(),
        "GOVHUB_DEV_MAILBOX": "false",
        "GOVHUB_LOG_FORMAT": "json",
    }
    public_url, secret_key = env["GOVHUB_PUBLIC_URL"], env["GOVHUB_SECRET_KEY"]
    settings = Settings(_env_file=None, database_url=url, public_url=public_url, secret_key=secret_key)
    return env, settings


async def _main(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as directory:
        url = args.database_url or f"sqlite:///{Path(directory) / 'identity.db'}"
        port = _free_port()
        env, settings = production_server(url, port)
        command.upgrade(alembic_config(url), "head")
        accounts = int(args.login_duration * 60 + 100)
        began = time.perf_counter()
        seeded = await _seed(settings, accounts)
        made = time.perf_counter() - began
        backend = url.split(":")[0]
        print(f"identity benchmark on {backend}: {accounts:,} accounts and 3 clients made in {made:.1f} s")
        print(f"govhub on {env['GOVHUB_PUBLIC_URL']}, one uvicorn worker")
        server = Server(env, port, args.server_log, args.profile)
        try:
            server.wait_until_up()
            if args.only != "logins":
                await client_credentials(server, seeded, args)
            if args.only != "grants":
                tokens = await logins(server, seeded, args)
                await verifications(server, seeded, tokens, args.verifications)
        finally:
            server.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per grant/healthz measurement")
    parser.add_argument("--concurrency", type=int, default=32, help="connections for (a)")
    parser.add_argument("--login-duration", type=int, default=20, help="seconds of logins for (b)")
    parser.add_argument("--login-concurrency", type=int, default=8, help="logins in flight for (b)")
    parser.add_argument("--verifications", type=int, default=5000)
    parser.add_argument("--database-url", default=None, help="default: SQLite in a temporary folder")
    parser.add_argument("--server-log", default=os.devnull, help="where govhub's output goes")
    parser.add_argument("--profile", default=None, help="write the server's cProfile statistics here")
    parser.add_argument("--only", choices=["grants", "logins"], default=None, help="run (a) or (b)+(c) only")
    parser.add_argument("--no-wrk", action="store_true", help="measure with httpx only")
    asyncio.run(_main(parser.parse_args()))
