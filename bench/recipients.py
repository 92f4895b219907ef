"""Benchmark the Recipients tab on many incentives.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/gratia_bench python bench/recipients.py --rows 1000000

Seeds (or tops up to) N incentives for a "bench" organization in the configured database
(use a database of its own: it is migrated and written to), then prints: render times of the
Recipients page (first page, a filtered page, a sorted page; the median of several requests
through Django's test client, so without network or a browser), the time of the count behind
"select all N matching", and the CSV export's rows per second and peak Python memory
(tracemalloc) while streaming every row. See docs/benchmarks.md.
"""

import argparse
import os
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import transaction  # noqa: E402
from django.template import engines  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import reverse  # noqa: E402

from incentives.demo_scale import bench_studies, incentives_bulk_seed  # noqa: E402
from incentives.models import Incentive  # noqa: E402
from tenancy.models import Membership, Organization, User  # noqa: E402

LIST = reverse("recipients:list")
PAGES = {
    "first page": {},
    "filtered page (unclaimed, sent before one year ago)": {"status": "unclaimed", "sent": "over_a_year"},
    "sorted page (by amount, descending)": {"sort": "-amount"},
    "deep page (page 200)": None,  # by cursor: deep_params
}


def deep_params(queryset, page: int) -> dict:
    """The query string of our page `page` of `queryset` (ordered as the table orders it)."""
    try:
        from core.keyset import encode
    except ImportError:  # before issue 17: numbered pages, by OFFSET
        return {"page": str(page)}
    position = (page - 1) * 50
    value, pk = queryset.values_list("sent_at", "pk")[position - 1]
    return {"after": encode(value, pk, position, queryset.query.order_by)}


def seeded(rows: int):
    organization, _ = Organization.objects.get_or_create(slug="bench", defaults={"name": "Bench"})
    user = User.objects.filter(email="bench@bench.test").first() or User.objects.create_user("bench@bench.test", "bench-password-1")
    Membership.objects.get_or_create(user=user, organization=organization, defaults={"role": Membership.Role.OWNER})
    studies = bench_studies(organization, user)
    missing = rows - Incentive.objects.for_org(organization).count()
    if missing > 0:
        started = time.perf_counter()
        with transaction.atomic():
            incentives_bulk_seed(studies=studies, count=missing, actor=user)
        print(f"seeded {missing:,} incentives over {len(studies)} studies in {time.perf_counter() - started:.1f} s")
    with transaction.get_connection().cursor() as cursor:
        cursor.execute("ANALYZE")
    return organization, user


def timed(request, repeat: int) -> float:
    """Median milliseconds of `repeat` requests (after one warm-up)."""
    request()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        response = request()
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.status_code
    return statistics.median(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="incentives to have (default 1,000,000)")
    parser.add_argument("--repeat", type=int, default=5, help="requests per measured page")
    args = parser.parse_args()
    settings.ALLOWED_HOSTS.append("testserver")
    # Templates render as in production (DJANGO_DEBUG=false) without needing collectstatic.
    engines["django"].engine.debug = False
    call_command("migrate", verbosity=0)
    organization, user = seeded(args.rows)
    total = Incentive.objects.for_org(organization).count()
    client = Client()
    client.force_login(user)
    print(f"\n{total:,} incentives in the bench organization; medians of {args.repeat} requests\n")
    PAGES["deep page (page 200)"] = deep_params(Incentive.objects.for_org(organization).order_by("-sent_at", "-pk"), 200)
    for label, params in PAGES.items():
        print(f"  Recipients, {label:<52} {timed(lambda: client.get(LIST, params), args.repeat):8.1f} ms")
    htmx = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "results"}
    print(f"  Recipients, htmx fragment (filtered){'':<27} {timed(lambda: client.get(LIST, PAGES[list(PAGES)[1]], **htmx), args.repeat):8.1f} ms")
    count = reverse("recipients:count")
    print(f"  Select all matching: count, no filter{'':<26} {timed(lambda: client.get(count), args.repeat):8.1f} ms")
    print(f"  Select all matching: count, filtered{'':<27} {timed(lambda: client.get(count, PAGES[list(PAGES)[1]]), args.repeat):8.1f} ms")

    response = client.get(LIST, {"export": "csv"})
    tracemalloc.start()
    started = time.perf_counter()
    lines = sum(chunk.count(b"\n") for chunk in response.streaming_content) - 1
    seconds = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    print(f"  CSV export: {lines:,} rows in {seconds:.1f} s (under tracemalloc), {lines / seconds:,.0f} rows/s, peak {peak / 1e6:.1f} MB")
    started = time.perf_counter()
    lines = sum(chunk.count(b"\n") for chunk in client.get(LIST, {"export": "csv"}).streaming_content) - 1
    seconds = time.perf_counter() - started
    print(f"  CSV export without tracemalloc: {lines / seconds:,.0f} rows/s")


if __name__ == "__main__":
    main()
