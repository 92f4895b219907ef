"""Walk every URL of the project as organization B with organization A's ids.

New URLs are covered without editing this test: patterns come from the resolver, and ids
from every tenant model. Each tenant table's id sequence starts at its own offset before A
is seeded, so an id names exactly one row of one model. B is a fresh organization that owns
nothing, so anything but a refusal when B asks for A's ids is a leak.
"""

import re
from collections import Counter

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import connection, models
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from tenancy.models import ApiKey, Membership, Organization, TenantModel
from offers.services import provider_profile_save
from tenancy.services import api_key_create

from ..factories import member

REFUSALS = {403, 404, 405, 410, 429}  # 429: public token pages rate-limit the sweep itself
# An empty POST body can be refused as malformed (400, 422) before any lookup. That reveals
# nothing only if an id that exists nowhere gets the very same answer: then it is allowed.
MALFORMED = {400, 422}
NOWHERE = 987_654_321_012
SKIPPED_PREFIXES = ("admin/",)  # Django admin is staff-only; superusers see every tenant by design
PARAMETER = re.compile(r"<(?:(?P<converter>\w+):)?(?P<name>\w+)>")
SENTINEL_FIELDS = {"name", "email", "to_email", "subject", "title", "description", "message", "body", "external_id"}


def routes(patterns=None, prefix=""):
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from routes(entry.url_patterns, route)
        elif isinstance(entry, URLPattern) and not route.startswith(SKIPPED_PREFIXES):
            yield route


def tenant_models():
    return [m for m in apps.get_models() if issubclass(m, TenantModel)]


def give_each_table_its_own_id_range():
    with connection.cursor() as cursor:
        for offset, model in enumerate(tenant_models(), start=1):
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence(%s, 'id'), %s)", [model._meta.db_table, offset * 10_000_000]
            )


def sample_ids(organization) -> dict[int, type[models.Model]]:
    """One row of each tenant model of the organization: {id: model}."""
    samples = {}
    for model in tenant_models():
        pk = model.objects.filter(organization=organization).order_by("pk").values_list("pk", flat=True).first()
        if pk is not None:
            samples[pk] = model
    return samples


def sentinels(organization) -> set[str]:
    """Distinctive strings of A's data that must never reach B."""
    found = {organization.name}
    for model in tenant_models():
        fields = [f.name for f in model._meta.fields if f.name in SENTINEL_FIELDS and isinstance(f, models.CharField | models.TextField)]
        for row in model.objects.filter(organization=organization).values_list(*fields) if fields else []:
            found.update(value for value in row if isinstance(value, str) and len(value) >= 6)
    return found


def table_fingerprints() -> dict[str, str]:
    """A digest of every tenant table's rows: any insert, update or delete changes it.

    API keys are left out: using one records when it was last used."""
    digests = {}
    with connection.cursor() as cursor:
        for model in tenant_models():
            if model is ApiKey:
                continue
            table = connection.ops.quote_name(model._meta.db_table)
            cursor.execute(f"SELECT md5(coalesce(string_agg(t::text, ',' ORDER BY t.id), '')) FROM {table} t")
            digests[model._meta.label] = cursor.fetchone()[0]
    return digests


def fill(route: str, value) -> str:
    return "/" + PARAMETER.sub(str(value), route).lstrip("^").rstrip("$")


def same_answer_as_for_nothing(client, method, route, response) -> bool:
    url = fill(route, NOWHERE)
    control = client.get(url) if method == "GET" else client.post(url, {})
    return control.status_code == response.status_code and control.content == response.content


def candidates(route: str, samples: dict) -> list[int]:
    """A's ids, those of models named in the route first (discovery stops at the first hit)."""
    words = route.lower().replace("-", "_")
    return sorted(samples, key=lambda pk: samples[pk]._meta.model_name not in words)


@pytest.mark.django_db
def test_organization_b_gets_nothing_of_organization_a_anywhere(capsys):
    give_each_table_its_own_id_range()
    call_command("seed_demo", stdout=open("/dev/null", "w"))
    org_a = Organization.objects.get(slug="acme")
    owner_a = Membership.objects.filter(organization=org_a, role="owner").first().user
    org_b = Organization.objects.create(name="Sweep B", slug="sweep-b")
    # B is a provider too, so its provider pages look A's ids up (without a profile they send
    # B to make one whatever the id: tests/offers/test_provider_access.py).
    provider_profile_save(organization=org_b, display_name="Sweep B", contact_email="rewards@sweep-b.test")
    owner_b = member(org_b, Membership.Role.OWNER)
    _, key_a = api_key_create(organization=org_a, name="sweep", actor=None)
    _, key_b = api_key_create(organization=org_b, name="sweep", actor=None)
    client_a, client_b = Client(HTTP_AUTHORIZATION=f"Bearer {key_a}"), Client(HTTP_AUTHORIZATION=f"Bearer {key_b}")
    client_a.force_login(owner_a)
    client_b.force_login(owner_b)
    samples, secret = sample_ids(org_a), sentinels(org_a)
    before = table_fingerprints()

    statuses, leaks, requests_made = Counter(), [], 0

    def check(response, method, url):
        nonlocal requests_made
        requests_made += 1
        statuses[response.status_code] += 1
        body = response.content.decode(errors="replace") if not response.streaming else ""
        if response.status_code >= 500:
            leaks.append(f"{method} {url}: server error {response.status_code}")
        leaks.extend(f"{method} {url}: shows A's “{s}”" for s in secret if s in body)

    for route in routes():
        if not PARAMETER.search(route):
            check(client_b.get(fill(route, "")), "GET", fill(route, ""))
            continue
        seen_by_a = None
        for pk in candidates(route, samples):
            if client_a.get(fill(route, pk)).status_code == 200:
                seen_by_a = pk
                break
        targets = [seen_by_a] if seen_by_a is not None else list(samples)
        for pk in targets:
            url = fill(route, pk)
            for method in ("GET", "POST"):
                response = client_b.get(url) if method == "GET" else client_b.post(url, {})
                check(response, method, url)
                if response.status_code in MALFORMED and same_answer_as_for_nothing(client_b, method, route, response):
                    continue
                if response.status_code not in REFUSALS:
                    leaks.append(f"{method} {url} ({samples[pk].__name__} of A): answered {response.status_code}")

    with capsys.disabled():
        print(f"\n[tenant sweep] {len(list(routes()))} routes, {requests_made} requests as B, statuses {dict(statuses)}, "
              f"{len(secret)} sentinels, {len(leaks)} leaks")
    assert leaks == [], leaks
    assert table_fingerprints() == before, "B's requests changed tenant data"
