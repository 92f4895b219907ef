"""The public claim page in-process, against the login page (issue 17 item 5).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/gratia_bench python bench/claim.py [--profile]

Uses an unclaimed incentive of the "bench" organization (bench/recipients.py seeds it) and
times GET of its claim link and GET of the login page through Django's test client (no
network), interleaved, median and p95 of --repeat requests, with the queries each makes.
The claim rate limit is raised for the run by its setting, CLAIM_LOOKUPS_PER_WINDOW.
`--profile` prints where a claim request's time goes (cProfile, cumulative).
"""

import argparse
import cProfile
import os
import pstats
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.template import engines  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import reverse  # noqa: E402

from incentives import tokens  # noqa: E402
from incentives.models import Incentive  # noqa: E402
from incentives.views import claim as claim_views  # noqa: E402
from tenancy.models import Organization  # noqa: E402


def p95(values):
    return sorted(values)[max(0, round(0.95 * len(values)) - 1)]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=300)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--sort", default="cumulative", help="the profile's order (cumulative, tottime)")
    args = parser.parse_args()
    settings.ALLOWED_HOSTS.append("testserver")
    settings.CLAIM_LOOKUPS_PER_WINDOW = 10 * args.repeat + 1000
    claim_views.CLAIM_LOOKUPS_PER_WINDOW = settings.CLAIM_LOOKUPS_PER_WINDOW  # a checkout before the setting
    engines["django"].engine.debug = False
    organization = Organization.objects.get(slug="bench")
    incentive = Incentive.objects.for_org(organization).unclaimed().order_by("pk").first()
    urls = {"claim": reverse("incentives:claim", args=[tokens.claim_token(incentive.token_nonce)]), "login": reverse("login")}
    client = Client()
    times = {name: [] for name in urls}
    for name, url in urls.items():
        assert client.get(url).status_code == 200, name  # warm up
        with CaptureQueriesContext(connection) as queries:
            client.get(url)
        print(f"{name}: {len(queries)} queries: " + "; ".join(q["sql"][:60] for q in queries))
    for _ in range(args.repeat):
        for name, url in urls.items():
            started = time.perf_counter()
            client.get(url)
            times[name].append((time.perf_counter() - started) * 1000)
    for name, values in times.items():
        print(f"{name:>6}: median {statistics.median(values):.2f} ms, p95 {p95(values):.2f} ms")
    print(f"claim / login: {statistics.median(times['claim']) / statistics.median(times['login']):.2f}")
    if args.profile:
        profile = cProfile.Profile()
        profile.enable()
        for _ in range(100):
            client.get(urls["claim"])
        profile.disable()
        pstats.Stats(profile).sort_stats(args.sort).print_stats(40)


if __name__ == "__main__":
    main()
