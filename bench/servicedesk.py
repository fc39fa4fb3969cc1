"""Service desk benchmarks at district scale on PostgreSQL (issue #4's performance targets).

Usage (after bench/run.py --seed-if-empty has seeded the district: ~1,000,000 requests over two
years come with it)::

    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/dangjian_bench
    python bench/servicedesk.py                  # queue, rates and intake
    python bench/servicedesk.py --only intake    # queue, rates or intake

* queue: the staff queue page (open requests by deadline, overdue, finished, a number search)
  for a community secretary, a street admin and a district-wide admin, through
  ``django.test.Client`` (middleware, session, view, template; no HTTP server): median and p90
  server time over ``--repeat`` requests after 3 warm-ups, and the query count of each request
  (which must not vary).
* rates: the three-rates page for the 100 communities of the district and one quarter, as the
  district admin opens it (the same measurement), and the selector alone.
* intake: gunicorn serving the project on loopback (``--workers``), and ``--clients`` threads
  posting ``--submissions`` requests, half through the resident form (anonymous: GET the form
  for its CSRF token, then POST) and half through Open311 ``POST requests.json`` with an API
  key. Reports submissions per second, latency median/p90 and every non-success status. The
  anonymous and per-key rate limits are raised for the run (bench/load_settings.py): they exist
  to stop abuse from one address or key, which a load test from one address would trip.

Targets (issue #4): queue ≤ 150 ms median with a constant query count; the three rates for 100
communities for a quarter ≤ 1 s; intake ≥ 100 submissions per second with no error.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import os
import re
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_DIR))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dangjian.config.settings")
os.environ.setdefault("DEBUG", "0")
# The benchmark signs its admins in without two-factor login (it measures pages, not signing in):
# without this, TWO_FACTOR_ROLES would send them to the security page.
os.environ.setdefault("TWO_FACTOR_ROLES", "")

WARMUP = 3


from actors import bench_actor as _actor  # noqa: E402 - bench/actors.py, beside this script


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", choices=("queue", "rates", "intake"))
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--submissions", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--port", type=int, default=8050)
    return parser.parse_args()


class Counter:
    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def timed_get(client, path: str, repeat: int) -> tuple[list[float], list[int]]:
    from django.db import connection

    times, queries = [], []
    for i in range(WARMUP + repeat):
        counter = Counter()
        with connection.execute_wrapper(counter):
            start = time.perf_counter()
            response = client.get(path)
            elapsed = (time.perf_counter() - start) * 1000
        if response.status_code != 200:
            raise SystemExit(f"{path}: HTTP {response.status_code}")
        if i >= WARMUP:
            times.append(elapsed)
            queries.append(counter.count)
    return times, queries


def p90(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, round(0.9 * len(ordered)) - 1)]


def row(label: str, user: str, times: list[float], queries: list[int], target: float) -> None:
    median = statistics.median(times)
    constant = "constant" if len(set(queries)) == 1 else f"VARIES {sorted(set(queries))}"
    verdict = "ok" if median <= target else "OVER"
    print(f"| {label} | {user} | {median:.1f} | {p90(times):.1f} | {queries[0]} ({constant}) | {verdict} |", flush=True)


def users():
    from bench.run import ensure_bench_user
    from dangjian.accounts.models import User

    ensure_bench_user()
    return [User.objects.get(username=name) for name in ("secretary", "street", "bench_district")]


def bench_queue(repeat: int) -> None:
    from django.test import Client

    from dangjian.servicedesk.models import ServiceRequest

    print(f"\n### Staff queue ({ServiceRequest.objects.count():,} requests)\n")
    print("| page | user | median ms | p90 ms | queries | ≤ 150 ms |")
    print("|---|---|---|---|---|---|")
    some = ServiceRequest.objects.order_by("-id").values_list("id", flat=True).first()
    for user in users():
        client = Client()
        client.force_login(user)
        for label, path in (
            ("open, by deadline", "/services/requests/"),
            ("overdue", "/services/requests/?view=overdue"),
            ("finished, newest first", "/services/requests/?view=finished"),
            ("finished, page 40", "/services/requests/?view=finished&page=40"),
            ("number search", f"/services/requests/?view=all&q={some}"),
        ):
            times, queries = timed_get(client, path, repeat)
            row(label, user.username, times, queries, 150)


def bench_rates(repeat: int) -> None:
    from django.test import Client
    from django.utils import timezone

    from dangjian.accounts.models import User

    today = timezone.localdate()
    quarter_start = dt.date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
    previous = (quarter_start - dt.timedelta(days=1)).replace(day=1)
    previous = dt.date(previous.year, 3 * ((previous.month - 1) // 3) + 1, 1)
    label = f"{previous.year}Q{(previous.month - 1) // 3 + 1}"
    user = next(u for u in users() if u.username == "bench_district")
    client = Client()
    client.force_login(user)
    print(f"\n### Three rates, 100 communities, quarter {label}\n")
    print("| page | user | median ms | p90 ms | queries | ≤ 1000 ms |")
    print("|---|---|---|---|---|---|")
    params = urllib.parse.urlencode({"level": "community", "period": "quarter", "quarter": label})
    pages = [("rates by community", f"/services/rates/?{params}")]
    for measure in ("response", "repeat", "p90"):  # the district's 12-month trend comes after the table (htmx)
        pages.append(
            (f"the page with its trend of {measure}", f"/services/rates/?{params}&show=trend&measure={measure}")
        )
    for title, path in pages:
        times, queries = timed_get(client, path, max(5, repeat // 3))
        row(title, user.username, times, queries, 1000)
    body = client.get(f"/services/rates/?{params}").content.decode()
    rows = len(re.findall(r"<tr", body))
    print(f"\n(the page has {rows} table rows; communities in the district: {User.objects.count() and _communities()})")


def _communities() -> int:
    from dangjian.orgs.models import Region

    return Region.objects.filter(level="community").count()


# --- intake ------------------------------------------------------------------------------------


def _prepare_intake() -> tuple[str, int, int, int]:
    """An API key for a district admin, a category, a community (the resident form) and a grid
    (Open311's jurisdiction_id) to submit to."""
    from dangjian.accounts.models import User
    from dangjian.api.keys import api_key_create
    from dangjian.orgs.models import Region
    from dangjian.servicedesk.models import ServiceCategory

    user = User.objects.get(username="bench_district")
    _key, secret = api_key_create(actor=_actor(user), user=user, name=f"load test {time.time():.0f}")
    grid = Region.objects.filter(level="grid").order_by("path").first()
    category = ServiceCategory.objects.get(code="sanitation")
    return secret, category.pk, grid.parent_id, grid.code


class Session:
    """One keep-alive connection per client thread, with its cookies."""

    def __init__(self, port: int) -> None:
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, body: str | None = None, headers: dict | None = None):
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        self.connection.request(method, path, body=body, headers=headers)
        response = self.connection.getresponse()
        data = response.read()
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        return response.status, data


def bench_intake(args: argparse.Namespace) -> None:
    from dangjian.servicedesk.models import ServiceRequest

    secret, category_pk, community_pk, grid_code = _prepare_intake()
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "bench.load_settings", "PYTHONPATH": str(REPO_DIR)}
    server = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
        [
            sys.executable,
            "-m",
            "gunicorn",
            "dangjian.config.wsgi",
            "--bind",
            f"127.0.0.1:{args.port}",
            "--workers",
            str(args.workers),
            "--log-level",
            "warning",
        ],
        cwd=REPO_DIR,
        env=env,
    )
    try:
        for _ in range(100):
            try:
                http.client.HTTPConnection("127.0.0.1", args.port, timeout=1).request("GET", "/healthz")
                break
            except OSError:
                time.sleep(0.2)
        before = ServiceRequest.objects.count()
        local = threading.local()
        statuses: dict[str, int] = {}
        lock = threading.Lock()

        def submit(i: int) -> float:
            session = getattr(local, "session", None)
            if session is None:
                session = local.session = Session(args.port)
            start = time.perf_counter()
            if i % 2:
                status, _body = session.request("GET", "/r/")
                token = session.cookies.get("csrftoken", "")
                body = urllib.parse.urlencode(
                    {
                        "csrfmiddlewaretoken": token,
                        "category": category_pk,
                        "region": community_pk,
                        "description": f"压力测试：楼道灯不亮 {i}",
                        "phone": f"139{i:08d}"[:11],
                    }
                )
                status, _body = session.request(
                    "POST",
                    "/r/",
                    body,
                    {
                        "Content-Type": "application/x-www-form-urlencoded",
                        "Referer": f"http://127.0.0.1:{args.port}/r/",
                    },
                )
                kind, ok = "web", status == 302
            else:
                body = urllib.parse.urlencode(
                    {
                        "api_key": secret,
                        "service_code": "sanitation",
                        "jurisdiction_id": grid_code,
                        "description": f"压力测试：垃圾未清运 {i}",
                        "phone": f"138{i:08d}"[:11],
                        "address_string": f"和平路{i % 300}号",  # GeoReport v2 asks for a place
                    }
                )
                status, _body = session.request(
                    "POST", "/open311/v2/requests.json", body, {"Content-Type": "application/x-www-form-urlencoded"}
                )
                kind, ok = "api", status in (200, 201)
            elapsed = (time.perf_counter() - start) * 1000
            with lock:
                key = f"{kind} {status}"
                statuses[key] = statuses.get(key, 0) + 1
            return elapsed if ok else -elapsed

        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=args.clients) as pool:
            results = list(pool.map(submit, range(args.submissions)))
        wall = time.perf_counter() - started
        created = ServiceRequest.objects.count() - before
        latencies = [abs(r) for r in results]
        errors = sum(1 for r in results if r < 0)
        print(
            f"\n### Intake: {args.submissions} submissions, {args.clients} clients, gunicorn {args.workers} workers\n"
        )
        print(f"- wall time {wall:.1f} s → **{args.submissions / wall:.0f} submissions/s**; created {created}")
        print(f"- latency median {statistics.median(latencies):.0f} ms, p90 {p90(latencies):.0f} ms")
        print(f"- statuses: {dict(sorted(statuses.items()))}; errors: {errors}")
    finally:
        server.terminate()
        server.wait(timeout=20)


def main() -> None:
    args = parse_args()
    import django

    django.setup()
    from django.db import connection

    if connection.vendor != "postgresql":
        raise SystemExit("Run against PostgreSQL: export DATABASE_URL=postgres://…/dangjian_bench")
    if args.only in (None, "queue"):
        bench_queue(args.repeat)
    if args.only in (None, "rates"):
        bench_rates(args.repeat)
    if args.only in (None, "intake"):
        bench_intake(args)


if __name__ == "__main__":
    main()
