"""Hostile input through the real paths: header injection, forged posts, GETs that must change
nothing, and CSV exports that spreadsheets can't turn into formulas.

The API's fuzzing (schemathesis over /api/v1/openapi.json) is in tests/api/test_schema_fuzz.py;
`test_the_api_fuzz_covers_every_operation` here checks it reaches every operation.
"""

import csv
import datetime
import io
import re
from collections import Counter, defaultdict
from email import message_from_bytes, policy
from email.utils import getaddresses

import pytest
from django.apps import apps
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from django.urls.exceptions import Resolver404

from approvals.models import Approval
from core.csv import FORMULA_STARTS, csv_response
from core.models import OutboundEmail
from core.money import Money
from core.tables import CONFIGURABLE_TABLES
from incentives import tokens
from incentives.models import Incentive
from incentives.services import incentive_remind, incentives_send
from jobs.models import BackgroundJob
from offers import services as offer_services
from offers.demo import walk_to
from offers.models import IncentiveType, Offer, OfferMember
from offers.transitions import Party, Status
from rewards.models import Advocate, Reward, RewardAccount
from rewards.views import BULK_RESULT_SESSION_KEY
from studies.models import StudyParticipant
from studies.services import study_participant_add
from tenancy.models import ApiKey, Membership, Organization
from tenancy.services import api_key_create

from ..studies.factories import make_study
from .test_tenant_sweep import PARAMETER, candidates, give_each_table_its_own_id_range, sample_ids

# --- Header injection ---------------------------------------------------------------------

EVIL_NAME = "Eve\r\nBcc: eve@evil.test"
EVIL_SUBJECT = "Thanks\r\nBcc: subject@evil.test\r\nX-Injected: yes"


def injected_recipients(message) -> int:
    """Recipients beyond the one the email is for, as the SMTP envelope and the parsed headers see them."""
    parsed = message_from_bytes(message.message().as_bytes(), policy=policy.compat32)
    headers = [name.lower() for name in parsed.keys()]
    addresses = getaddresses(parsed.get_all("To", []) + parsed.get_all("Cc", []) + parsed.get_all("Bcc", []))
    extra = len(message.recipients()) - 1
    extra += sum("evil.test" in address for _, address in addresses)
    return extra + headers.count("bcc") + headers.count("cc") + headers.count("x-injected")


@pytest.mark.smoke
@pytest.mark.django_db
def test_crlf_in_names_and_subjects_adds_no_recipient(organization, owner, budget, mailoutbox, django_capture_on_commit_callbacks, capsys):
    study = make_study(budget=budget, owner=owner)
    offer_services.provider_profile_save(
        organization=organization, display_name="Rewards\r\nBcc: provider@evil.test", contact_email="rewards@acme.test"
    )
    program = offer_services.program_save(organization=organization, name="Advocates", incentive_types=[IncentiveType.GIFT_CARD])
    with django_capture_on_commit_callbacks(execute=True):
        row = study_participant_add(
            study=study, actor=owner, name=EVIL_NAME, email="eve@example.test", status=StudyParticipant.Status.INCENTIVE_NOT_SENT
        )
        [incentive] = incentives_send(
            study=study, participant_ids=[row.participant_id], amount=Money(500, "USD"),
            subject=EVIL_SUBJECT, message="Hi {name}", actor=owner,
        )
        incentive_remind(incentive=incentive, actor=owner)
        offer = offer_services.offer_create(
            organization=organization, actor=owner, send=True, program=program, delivery=Offer.Delivery.EMAIL,
            value=Money(2500, "USD"), incentive_type=IncentiveType.GIFT_CARD, recipient_name=EVIL_NAME,
            recipient_email="eve2@example.test", message="Hello", expires_on=datetime.date.today() + datetime.timedelta(days=9),
        )
        # The recipient counters: the provider is notified with the recipient's name in the subject.
        offer_services.offer_transition(
            offer=offer, to_status=Status.COUNTER, actor_kind=Party.RECIPIENT, member=offer.members.get(),
            terms=Money(3000, "USD"), note="Bcc: note@evil.test",
        )
        link = offer_services.offer_create(
            organization=organization, actor=owner, send=True, program=program, delivery=Offer.Delivery.LINK,
            value=Money(2500, "USD"), incentive_type=IncentiveType.GIFT_CARD,
            expires_on=datetime.date.today() + datetime.timedelta(days=9),
        )
        offer_services.offer_join(offer=link, name="Mal\nCc: mal@evil.test", email="mal@example.test")

    purposes = Counter(OutboundEmail.objects.for_org(organization).values_list("purpose", flat=True))
    extra = sum(injected_recipients(message) for message in mailoutbox)
    with capsys.disabled():
        print(f"\n[crlf] {len(mailoutbox)} emails ({dict(purposes)}), {extra} injected recipients or headers")
    assert len(mailoutbox) == 5 and {"offer_recipient_action", "offer_sent", "offer_joined"} <= set(purposes)
    assert extra == 0
    assert all(len(message.to) == 1 and "\n" not in message.to[0] + message.subject + message.from_email for message in mailoutbox)


# --- Demo data, routes and tokens for the crawls -------------------------------------------

SKIP_MODELS = {"sessions.session", "axes.accessattempt", "axes.accesslog", "axes.accessfailurelog", "axes.accessattemptexpiration"}


def every_route(patterns=None, prefix=""):
    """Every URL pattern, the admin's included: (route, callback)."""
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from every_route(entry.url_patterns, route)
        elif isinstance(entry, URLPattern):
            yield route, entry.callback


REGEX_GROUP = re.compile(r"\(\?P<(?P<name>\w+)>(?P<body>[^()]*(?:\([^()]*\)[^()]*)*)\)")


def fill_any(route: str, value) -> str:
    """A concrete path for a route, `path()` or regular-expression style (the admin's)."""
    route = PARAMETER.sub(str(value), route)
    route = REGEX_GROUP.sub(lambda m: m["body"].split("|")[0] if re.fullmatch(r"[\w|]+", m["body"]) else str(value), route)
    return "/" + route.replace("^", "").replace("$", "").replace("\\", "")


def table_digests() -> dict[str, str]:
    """A digest of every table's rows (sessions and login-attempt logs aside: a request may
    write those; an API key's last-used time is left out the same way)."""
    digests = {}
    with connection.cursor() as cursor:
        for model in apps.get_models(include_auto_created=True):
            if model._meta.label_lower in SKIP_MODELS or not model._meta.managed:
                continue
            table = connection.ops.quote_name(model._meta.db_table)
            columns = [f.column for f in model._meta.concrete_fields if not (model is ApiKey and f.name == "last_used_at")]
            row = "ROW(" + ", ".join(f"t.{connection.ops.quote_name(c)}" for c in columns) + ")::text"
            cursor.execute(f"SELECT count(*), md5(coalesce(string_agg({row}, ',' ORDER BY {row}), '')) FROM {table} t")
            digests[model._meta.label] = cursor.fetchone()
    return digests


def public_tokens(organization) -> dict[str, list[str]]:
    """Working tokens of the demo's public pages, derived from the nonces kept on the rows."""
    offers = Offer.objects.for_org(organization)
    return {
        "claim": [tokens.claim_token(n) for n in Incentive.objects.for_org(organization).values_list("token_nonce", flat=True)[:20]],
        "offer": [member.token for member in OfferMember.objects.for_org(organization)[:20]],
        "offer-link": [offer.link_token for offer in offers.exclude(link_nonce=None)],
        "widget": [offer.widget_token for offer in offers.exclude(widget_nonce=None)],
    }


def str_values(route: str, found_tokens) -> list[str]:
    if "table_name" in route:
        return list(CONFIGURABLE_TABLES)
    if "<str:action>" in route:
        return ["cancel", "resend"]
    kind = route.split("/")[0]
    return found_tokens.get(kind, []) or ["x" * 43]


@pytest.fixture
def demo_world(db):
    give_each_table_its_own_id_range()
    call_command("seed_demo", stdout=open("/dev/null", "w"))
    acme = Organization.objects.get(slug="acme")

    def user(role):
        return Membership.objects.filter(organization=acme, role=role).select_related("user").first().user

    owner = user(Membership.Role.OWNER)
    # The demo runs no bulk job; one finished job gives its progress page something to show.
    BackgroundJob.objects.create(organization=acme, kind="incentives_cancel", created_by=owner, status=BackgroundJob.Status.DONE)
    return acme, owner, user(Membership.Role.VIEWER)


def logged_in(user, **kwargs) -> Client:
    client = Client(**kwargs)
    client.force_login(user)
    return client


def concrete_urls(route: str, organization, owner_client, samples, found_tokens) -> list[str]:
    """URLs of the route with the demo's ids: those the owner can open (200), else the first tried."""
    names = [m["name"] for m in PARAMETER.finditer(route)]
    if not names:
        return [fill_any(route, "")]
    if "<str:" in route:
        return [fill_any(route, value) for value in str_values(route, found_tokens)]
    if not all("<int:" in m.group(0) for m in PARAMETER.finditer(route)):  # the API's ids, e.g. <account_id>
        model = {"account_id": RewardAccount, "reward_id": Reward, "advocate_id": Advocate, "approval_id": Approval}[names[0]]
        return [fill_any(route, pk) for pk in model.objects.for_org(organization).values_list("pk", flat=True)[:3]]
    if len(names) == 1:
        tried = [fill_any(route, pk) for pk in candidates(route, samples)]
    else:  # a parent and a child: pairs from each sample's foreign keys
        tried = []
        for pk, model in samples.items():
            obj = model.objects.get(pk=pk)
            tried += [
                "/" + PARAMETER.sub(lambda m, ids=iter((getattr(obj, f.attname), pk)): str(next(ids)), route)
                for f in model._meta.concrete_fields if f.is_relation and getattr(obj, f.attname)
            ]
    working = [url for url in tried if owner_client.get(url).status_code == 200]
    return working[:3] or tried[:1]


# --- CSRF ---------------------------------------------------------------------------------

PUBLIC_TOKEN_PAGE = "public token page: the token in the URL authorises, no session is used; no-referrer pages post with Origin: null"
API = "REST API: Bearer API keys, never cookies"
CSRF_EXEMPT = {
    "claim/<str:token>/": PUBLIC_TOKEN_PAGE,
    "offer/<str:token>/": PUBLIC_TOKEN_PAGE,
    "offer/<str:token>/act/": PUBLIC_TOKEN_PAGE,
    "offer/<str:token>/leave/": PUBLIC_TOKEN_PAGE,
    "offer/<str:token>/messages/": PUBLIC_TOKEN_PAGE,
    "offer/<str:token>/updates/": PUBLIC_TOKEN_PAGE,
    "offer-link/<str:token>/": PUBLIC_TOKEN_PAGE,
    "widget/<str:token>.js": PUBLIC_TOKEN_PAGE,
    "widget/<str:token>/": PUBLIC_TOKEN_PAGE,
    "api/v1/accounts": API,
    "api/v1/accounts/<account_id>": API,
    "api/v1/accounts/<account_id>/rewards": API,
    "api/v1/rewards": API,
    "api/v1/rewards/<reward_id>": API,
    "api/v1/programs": API,
    "api/v1/rewards/<reward_id>/redeem": API,
    "api/v1/rewards/<reward_id>/cancel": API,
    "api/v1/rewards/<reward_id>/uncancel": API,
    "api/v1/rewards/<reward_id>/release": API,
    "api/v1/advocates/<advocate_id>/w9": API,
    "api/v1/incentives": API,
    "api/v1/webhooks/endpoints": API,
    "api/v1/approvals": API,
    "api/v1/approvals/<approval_id>/approve": API,
    "api/v1/approvals/<approval_id>/reject": API,
}


def refused_for_csrf(response) -> bool:
    # core.refusals.csrf_failure is the CSRF_FAILURE_VIEW: it says the page has expired.
    return response.status_code == 403 and b"This page has expired" in response.content


@pytest.mark.django_db
def test_every_session_route_refuses_a_post_without_csrf_token(demo_world, capsys):
    acme, owner, _ = demo_world
    client = logged_in(owner, enforce_csrf_checks=True)
    samples = sample_ids(acme)
    any_id = next(iter(samples))
    found_tokens = public_tokens(acme)
    refused, exempt, unresolvable = [], {}, []
    for route, callback in every_route():
        value = str_values(route, found_tokens)[0] if "<str:" in route else any_id
        url = fill_any(route, value)
        try:
            resolve(url)
        except Resolver404:
            unresolvable.append(route)
            continue
        response = client.post(url, {"name": "forged"})
        if refused_for_csrf(response):
            refused.append(route)
        else:
            exempt[route] = response.status_code
            assert getattr(callback, "csrf_exempt", False), f"{route} answered {response.status_code} to a forged post"
    # The API ignores the session: a logged-in browser without a key gets 401.
    assert client.get("/api/v1/accounts").status_code == 401
    with capsys.disabled():
        print(f"\n[csrf] {len(refused) + len(exempt)} routes posted without a token: {len(refused)} refused (403), "
              f"{len(exempt)} exempt by design ({Counter(CSRF_EXEMPT[r] for r in exempt if r in CSRF_EXEMPT).most_common()}), "
              f"{len(unresolvable)} unresolvable patterns")
    assert set(exempt) == set(CSRF_EXEMPT), f"undocumented exemptions: {set(exempt) - set(CSRF_EXEMPT)}; " \
        f"documented but refused: {set(CSRF_EXEMPT) - set(exempt)}"
    assert unresolvable == []


# --- GETs change nothing ------------------------------------------------------------------


@pytest.mark.django_db
def test_crawling_every_get_url_changes_no_row(demo_world, capsys):
    acme, owner, viewer = demo_world
    _, key = api_key_create(organization=acme, name="crawl", actor=None)
    owner_client = logged_in(owner)
    clients = {
        "owner": owner_client,
        "owner (htmx)": logged_in(owner, HTTP_HX_REQUEST="true"),
        "viewer": logged_in(viewer),
        "anonymous": Client(),
        "api key": Client(HTTP_AUTHORIZATION=f"Bearer {key}"),
    }
    samples, found_tokens = sample_ids(acme), public_tokens(acme)
    before = table_digests()
    ledger_before = before["budgets.LedgerEntry"]

    urls = []
    for route, _ in every_route():
        if not route.startswith("admin/"):
            urls += concrete_urls(route, acme, owner_client, samples, found_tokens)
    statuses, errors, not_ok = Counter(), [], defaultdict(list)
    for url in urls:
        for who, client in clients.items():
            if who == "api key" and not url.startswith("/api/"):
                continue
            cache.clear()  # the public pages' rate limit would otherwise answer 429 to the crawl
            response = client.get(url)
            statuses[response.status_code] += 1
            if who == "owner" and response.status_code == 404:
                not_ok[404].append(url)
            if response.status_code >= 500:
                errors.append(f"{who} GET {url}: {response.status_code}")
    after = table_digests()
    changed = {label: (before[label], after[label]) for label in before if before[label] != after[label]}
    with capsys.disabled():
        print(f"\n[get crawl] {len(urls)} URLs × {len(clients)} clients, statuses {dict(statuses)}, "
              f"{len(before)} tables digested, ledger entries {ledger_before[0]} -> {after['budgets.LedgerEntry'][0]}, "
              f"{len(changed)} tables changed; the owner's 404s: {not_ok[404]}")
    assert errors == []
    assert changed == {}


# --- CSV exports --------------------------------------------------------------------------

HOSTILE_CELLS = [
    "=1+1", "+41 555 0100", "-2+3", "@SUM(A1:A9)", "\tTabbed", "\rReturn", "\nNewline",
    '=HYPERLINK("http://evil.test","click")', "=cmd|' /C calc'!A0", "'=already quoted", "'plain apostrophe",
]
ORDINARY_CELLS = ["Ada Lovelace", "comma, inside", 'a "quoted" word', "two\nlines", "crlf\r\ninside", "ünïcødé ✓ 日本語 🎉", "a=b", "x-y", ""]


def unneutralised(cell: str) -> str:
    """What a cell held before export: core.csv.safe_cell puts one apostrophe before text a
    spreadsheet would read as a formula, or that starts with an apostrophe itself."""
    return cell[1:] if cell.startswith("'") else cell


def read_back(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode()
    return [[unneutralised(cell) for cell in row] for row in csv.reader(io.StringIO(body, newline=""))]


def raw_cells(response) -> list[str]:
    body = b"".join(response.streaming_content).decode()
    return [cell for row in csv.reader(io.StringIO(body, newline="")) for cell in row]


def assert_neutralised(cells):
    dangerous = [cell for cell in cells if cell.startswith(FORMULA_STARTS)]
    assert dangerous == [], f"cells a spreadsheet would run: {dangerous}"


@pytest.mark.smoke
def test_the_csv_streamer_neutralises_and_round_trips_every_value(capsys):
    rows = [[value, index, -index, value + " tail"] for index, value in enumerate(HOSTILE_CELLS + ORDINARY_CELLS)]
    response = csv_response(filename="x", header=["value", "n", "negative", "tail"], rows=iter(rows))
    body = b"".join(response.streaming_content).decode()
    raw = list(csv.reader(io.StringIO(body, newline="")))
    assert_neutralised(cell for row in raw[1:] for cell in row[:1] + row[3:])
    assert [[unneutralised(c) for c in row] for row in raw[1:]] == [[str(c) for c in row] for row in rows]
    with capsys.disabled():
        print(f"\n[csv] core.csv: {len(rows)} rows ({len(HOSTILE_CELLS)} hostile values) round-trip exactly")


@pytest.mark.django_db
def test_distributions_export_neutralises_and_round_trips(organization, owner, client_for, capsys):
    offer_services.provider_profile_save(organization=organization, display_name="Acme", contact_email="p@acme.test")
    program = offer_services.program_save(organization=organization, name="=Program", incentive_types=[IncentiveType.GIFT_CARD])
    values = [v for v in HOSTILE_CELLS + ORDINARY_CELLS if v == v.strip() and v]
    offer = offer_services.offer_create(
        organization=organization, actor=owner, send=False, program=program, delivery=Offer.Delivery.EMAIL,
        value=Money(90_000, "USD"), incentive_type=IncentiveType.GIFT_CARD, recipient_name="\t=Recipient",
        recipient_email="r@example.test", expires_on=datetime.date.today() + datetime.timedelta(days=9),
    )
    offer = walk_to(offer, Status.CLAIMED, owner)
    for value in values:
        offer_services.distribution_record(
            offer=offer, actor=owner, amount=Money(100, "USD"), distributed_on=datetime.date.today(),
            method="gift_card", reference=value[:200], note=f"{value}",
        )
    response = client_for(owner).get(reverse("offers:distributions_export"))
    assert response.status_code == 200
    response_rows = read_back(client_for(owner).get(reverse("offers:distributions_export")))
    assert_neutralised(raw_cells(response))
    header, rows = response_rows[0], response_rows[1:]
    column = {name: header.index(name) for name in ("Program", "Recipient", "Reference", "Note")}
    assert [(r[column["Reference"]], r[column["Note"]]) for r in rows] == [(v, v) for v in values]
    assert {(r[column["Program"]], r[column["Recipient"]]) for r in rows} == {("=Program", "\t=Recipient")}
    with capsys.disabled():
        print(f"\n[csv] distributions export: {len(rows)} rows round-trip exactly, 0 formula cells")


@pytest.mark.django_db
def test_bulk_redemption_result_export_neutralises_and_round_trips(organization, owner, client_for, capsys):
    RewardAccount.objects.create(organization=organization, name="Acct", external_id="ACC-1")
    ids = [v for v in HOSTILE_CELLS + ORDINARY_CELLS if v == v.strip() and v and "\n" not in v and "\r" not in v]
    lines = io.StringIO()
    writer = csv.writer(lines)
    writer.writerow(["account_external_id", "amount", "note"])
    for value in ids:
        writer.writerow([value, "-1", value])
    client = client_for(owner)
    upload = io.BytesIO(lines.getvalue().encode())
    upload.name = "bulk.csv"
    preview = client.post(reverse("rewards:bulk_redeem"), {"file": upload})
    assert preview.status_code == 200
    client.post(reverse("rewards:bulk_redeem"), {"csv_text": lines.getvalue()})
    expected = [[str(cell) for cell in row] for row in client.session[BULK_RESULT_SESSION_KEY]["rows"]]
    response = client.get(reverse("rewards:bulk_result_csv"))
    assert response.status_code == 200
    body_rows = read_back(client.get(reverse("rewards:bulk_result_csv")))
    assert_neutralised(raw_cells(response))
    assert [row[1] for row in body_rows[1:]] == ids
    assert body_rows[1:] == expected
    with capsys.disabled():
        print(f"\n[csv] bulk redemption result: {len(body_rows) - 1} rows round-trip exactly, 0 formula cells")


@pytest.mark.django_db
def test_recipients_export_neutralises_and_round_trips(organization, owner, budget, client_for, capsys):
    study = make_study(budget=budget, owner=owner)
    names = [v for v in HOSTILE_CELLS + ORDINARY_CELLS if v == v.strip() and v]
    ids = [
        study_participant_add(study=study, actor=owner, name=name, email=f"p{i}@example.test", status=StudyParticipant.Status.INCENTIVE_NOT_SENT).participant_id
        for i, name in enumerate(names)
    ]
    incentives_send(study=study, participant_ids=ids, amount=Money(100, "USD"), subject="Thanks", message="Hi", actor=owner)
    response = client_for(owner).get(reverse("recipients:list"), {"export": "csv"})
    assert response.status_code == 200
    assert_neutralised(raw_cells(client_for(owner).get(reverse("recipients:list"), {"export": "csv"})))
    rows = read_back(response)
    exported = [row[rows[0].index("Name")] for row in rows[1:]] if "Name" in rows[0] else [row[0] for row in rows[1:]]
    assert sorted(exported) == sorted(names)
    with capsys.disabled():
        print(f"\n[csv] recipients export: {len(rows) - 1} rows round-trip exactly, 0 formula cells")


# --- The API fuzz ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_api_fuzz_covers_every_operation(capsys):
    """tests/api/test_schema_fuzz.py fuzzes `schema.get_all_operations()`, unfiltered: here,
    those are exactly the API's routes in the resolver, so no operation escapes it."""
    import schemathesis

    from config.wsgi import application

    source = open("tests/api/test_schema_fuzz.py").read()
    assert "get_all_operations()" in source and not re.search(r"\.(include|exclude)\(", source)
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)
    fuzzed = {op.ok().path.strip("/").replace("{", "<").replace("}", ">") for op in schema.get_all_operations()}
    routed = {route for route, _ in every_route() if route in CSRF_EXEMPT and CSRF_EXEMPT[route] == API}
    with capsys.disabled():
        print(f"\n[api fuzz] {len(list(schema.get_all_operations()))} operations over {len(fuzzed)} paths, all fuzzed")
    assert fuzzed == routed
