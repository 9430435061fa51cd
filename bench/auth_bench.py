"""What each kind of credential costs per request: `GET /api/auth/me` through `dlv serve`
(SQLite) with a DLV login token (HS256), an API token (`dlv_...`), and a token of the OpenID
provider (RS256, signature checked against the provider's cached JWKS on every request), plus
a whole single sign-on (login redirect, the provider's form, the callback's code exchange and
ID token check) against the real provider tests use (mock-oauth2-server, tests/services/oidc.py).

    .venv/bin/python bench/auth_bench.py --requests 2000 --write-results

Reports p50/p95 per request, sequential, one client; the difference between the rows is what
checking the credential costs (the rest of the request is the same).
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from traversal_bench import ADMIN_PASSWORD, machine, start_server, write_section
from tests.services.oidc import OidcServer  # noqa: E402  (bench/ is on sys.path via traversal_bench)
from tests.services.processes import stop  # noqa: E402

CLIENT_ID = "dlv-bench"


def timings(client: httpx.Client, token: str, requests: int) -> list[float]:
    headers = {"Authorization": f"Bearer {token}"}
    for _ in range(50):  # warm-up: caches, connection, first JWKS fetch
        client.get("/api/auth/me", headers=headers).raise_for_status()
    times = []
    for _ in range(requests):
        began = time.perf_counter()
        client.get("/api/auth/me", headers=headers).raise_for_status()
        times.append(time.perf_counter() - began)
    return times


def sso_round(client: httpx.Client, user: str) -> float:
    began = time.perf_counter()
    authorize = client.get("/api/auth/oidc/login").headers["location"]
    form = {"username": user, "claims": json.dumps({"groups": ["bench-admins"]})}
    callback = urlsplit(httpx.post(authorize, data=form).headers["location"])
    answer = client.get(f"{callback.path}?{callback.query}")
    assert answer.status_code == 303 and "sso_token=" in answer.headers["location"], answer.text
    return time.perf_counter() - began


def ms(values: list[float], q: float) -> str:
    return f"{statistics.quantiles(values, n=100)[int(q) - 1] * 1000:.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--sign-ins", type=int, default=50)
    parser.add_argument("--write-results", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch, OidcServer(Path(scratch)) as provider:
        env = {"DLV_OIDC_ISSUER": provider.issuer, "DLV_OIDC_CLIENT_ID": CLIENT_ID, "DLV_OIDC_ADMIN_GROUPS": "bench-admins"}
        process, base = start_server(f"sqlite+aiosqlite:///{scratch}/dlv.db", env)
        try:
            with httpx.Client(base_url=base, timeout=30, follow_redirects=False) as client:
                login = client.post("/api/auth/login", json={"username": "admin", "password": ADMIN_PASSWORD}).json()["access_token"]
                api = client.post("/api/tokens", json={"name": "bench", "role": "viewer"}, headers={"Authorization": f"Bearer {login}"}).json()["token"]
                oidc = provider.sign({"sub": "bench-robot", "aud": CLIENT_ID, "groups": ["bench-admins"]})
                rows = {name: timings(client, token, args.requests) for name, token in (("DLV login (HS256)", login), ("API token", api), ("provider token (RS256)", oidc))}
                sign_ins = [sso_round(client, f"user{i}") for i in range(args.sign_ins)]
        finally:
            stop(process)
    report = [
        f"Machine: {machine()}. `dlv serve` (1 worker, SQLite), one sequential client, {args.requests} requests per row after 50 warm-up ones.",
        "",
        "| credential on `GET /api/auth/me` | p50 ms | p95 ms |",
        "|---|---|---|",
        *[f"| {name} | {ms(times, 50)} | {ms(times, 95)} |" for name, times in rows.items()],
        f"| whole single sign-on ({args.sign_ins} sign-ins: redirect, provider form, code exchange, ID token, user upsert) | {ms(sign_ins, 50)} | {ms(sign_ins, 95)} |",
        "",
        "Command: `.venv/bin/python bench/auth_bench.py --write-results`",
    ]
    print("\n".join(report))
    if args.write_results:
        write_section("Credentials per request and single sign-on", report)


if __name__ == "__main__":
    main()
