"""Secret tokens: 256 bits each, never in a database dump, in a log line or a Referer;
expired links answer 410 with a page that says why; look-ups are rate-limited (429).

Four kinds: claim links (/claim/<t>/), email-offer personal links (/offer/<t>/), shareable
links (/offer-link/<t>/) and acknowledgement widgets (/widget/<t>/, /widget/<t>.js).
"""

import base64
import logging
import re
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.core import mail
from django.core.management import call_command
from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler
from django.core.wsgi import get_wsgi_application
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from config import backup
from core.logging import RedactTokensFilter
from core.ratelimit import SLOTS
from core.money import Money
from core.tokens import TOKEN_BYTES, token_hash
from incentives import services as incentive_services
from incentives.services import bulk as incentive_bulk
from incentives.models import Incentive
from incentives.tokens import claim_token
from offers import services as offer_services
from offers.models import IncentiveProgram, IncentiveType, LinkTemplate, Offer, OfferMember
from offers.transitions import Party, Status as OfferStatus
from studies.models import Study
from tenancy.models import Organization, User

from ..incentives.helpers import send_to
from .test_tenant_sweep import routes

TOKEN_IN_URL = re.compile(r"/(claim|offer|offer-link|widget)/([A-Za-z0-9_-]{43})(?=/|\.js)")
KINDS = ("claim", "offer", "offer-link", "widget")


def seed():
    call_command("seed_demo", stdout=open("/dev/null", "w"))
    return Organization.objects.get(slug="acme")


def tokens_in(text: str) -> set[tuple[str, str]]:
    return set(TOKEN_IN_URL.findall(text))


def stored_hashes() -> dict[str, set[str]]:
    """Every token hash in the database, by kind: a token handed out must be one of them."""
    offers = Offer.objects.all()
    return {
        "claim": set(Incentive.objects.values_list("token_hash", flat=True)),
        "offer": set(OfferMember.objects.values_list("token_hash", flat=True)),
        "offer-link": set(offers.exclude(link_hash=None).values_list("link_hash", flat=True)),
        "widget": set(offers.exclude(widget_hash=None).values_list("widget_hash", flat=True)),
    }


def working_tokens(organization) -> dict[str, list[str]]:
    """A working token of each kind, derived from the stored nonces as the app does."""
    offers = Offer.objects.for_org(organization)
    return {
        "claim": [claim_token(i.token_nonce) for i in Incentive.objects.for_org(organization).filter(status="unclaimed")],
        "offer": [m.token for m in OfferMember.objects.for_org(organization).filter(offer__status=OfferStatus.OFFERED)],
        "offer-link": [o.link_token for o in offers.exclude(link_nonce=None).filter(status=OfferStatus.OFFERED)],
        "widget": [o.widget_token for o in offers.exclude(widget_nonce=None)],
    }


def plain_dump() -> str:
    settings_dict = connection.settings_dict
    pg_dump = backup.client_tool("pg_dump", backup.server_major_version(settings_dict))
    return subprocess.run(
        [pg_dump, "--format=plain", "--no-owner"], env=backup.libpq_environment(settings_dict),
        capture_output=True, text=True, check=True,
    ).stdout


def hand_out_more(organization):
    """Claims and offers sent through the services, beyond the demo's."""
    owner = User.objects.get(email="owner@acme.test")
    study = Study.objects.for_org(organization).get(name="Onboarding interviews")
    send_to(study, 3, actor=owner)
    unclaimed = Incentive.objects.for_org(organization).filter(status="unclaimed").first()
    incentive_services.incentive_remind(incentive=unclaimed, actor=owner)
    program = IncentiveProgram.objects.for_org(organization).first()
    offer_services.offer_create(
        organization=organization, actor=owner, value=Money(1500, "USD"), send=True, program=program,
        incentive_type=IncentiveType.GIFT_CARD, delivery=Offer.Delivery.EMAIL, recipient_name="Dee Dump",
        recipient_email="dee@example.test", expires_on=timezone.localdate() + timedelta(days=5),
    )
    link = offer_services.offer_from_template(template=LinkTemplate.objects.for_org(organization).first(), actor=owner)
    offer_services.offer_join(offer=link, name="Jo Joiner", email="jo@example.test")


@pytest.mark.django_db(transaction=True)
def test_a_database_dump_holds_none_of_the_tokens_handed_out(capsys):
    acme = seed()
    hand_out_more(acme)
    handed_out = set()
    for message in mail.outbox:
        handed_out |= tokens_in(message.body + "".join(body for body, _ in message.alternatives))
    # Shareable links and widget snippets are handed out on the provider's pages.
    provider = Client()
    provider.force_login(User.objects.get(email="provider@acme.test"))
    for offer in Offer.objects.for_org(acme).exclude(link_nonce=None, widget_nonce=None):
        handed_out |= tokens_in(provider.get(reverse("offers:detail", args=[offer.pk])).content.decode())
        handed_out |= tokens_in(provider.get(reverse("offers:widget_embed", args=[offer.pk])).content.decode())

    hashes = stored_hashes()
    assert {kind for kind, _ in handed_out} == set(KINDS)
    assert all(token_hash(token) in hashes[kind] for kind, token in handed_out), "every token found is a live one"
    assert all(len(base64.urlsafe_b64decode(token + "=")) == TOKEN_BYTES for _, token in handed_out)

    dump = plain_dump()
    in_dump = [token for _, token in handed_out if token in dump]
    assert sum(token_hash(token) in dump for _, token in handed_out) == len(handed_out), "the dump is complete"
    by_kind = Counter(kind for kind, _ in handed_out)
    with capsys.disabled():
        print(f"\n[tokens] {len(handed_out)} tokens handed out ({', '.join(f'{k} {by_kind[k]}' for k in KINDS)}), "
              f"each {TOKEN_BYTES * 8} bits; {len(in_dump)} in a database dump ({len(dump) // 1024} KiB, hashes all present)")
    assert in_dump == []


# --- Expired and unknown links ---------------------------------------------------------


@pytest.mark.django_db
def test_expired_and_cancelled_links_answer_410_with_a_page_that_says_why(client, capsys):
    acme = seed()
    owner = User.objects.get(email="owner@acme.test")
    cancelled = Incentive.objects.for_org(acme).filter(status="cancelled").first()
    study = Study.objects.for_org(acme).get(name="Checkout usability test")
    incentive_bulk.incentives_expire_for_study(study=study, actor=owner)
    expired = Incentive.objects.for_org(acme).filter(status="expired").first()
    offers = Offer.objects.for_org(acme)
    cancelled_offer = offer_services.offer_transition(
        offer=offers.get(status=OfferStatus.OFFERED, delivery=Offer.Delivery.EMAIL), to_status=OfferStatus.CANCELLED,
        actor_kind=Party.PROVIDER, actor=owner,
    )
    link = offer_services.offer_from_template(template=LinkTemplate.objects.for_org(acme).first(), actor=owner)
    offer_services.offer_transition(offer=link, to_status=OfferStatus.EXPIRED, actor_kind=Party.SYSTEM)

    cases = {
        "claim, cancelled": (reverse("incentives:claim", args=[claim_token(cancelled.token_nonce)]), "This incentive was cancelled"),
        "claim, expired": (reverse("incentives:claim", args=[claim_token(expired.token_nonce)]), "This link has expired"),
        "email offer, expired": (
            reverse("offers:recipient", args=[offers.get(status=OfferStatus.EXPIRED, delivery=Offer.Delivery.EMAIL).members.get().token]),
            "This offer has expired",
        ),
        "email offer, cancelled": (reverse("offers:recipient", args=[cancelled_offer.members.get().token]), "This offer was cancelled"),
        "shared link, expired": (reverse("offers:link", args=[Offer.objects.get(pk=link.pk).link_token]), "This offer has expired"),
    }
    answers = {}
    for name, (url, says) in cases.items():
        response = client.get(url)
        answers[name] = response.status_code
        assert says in response.content.decode(), name
    # A widget exists only for an Acknowledged offer, a final status: it never expires, and a
    # token that is no acknowledged offer's (unknown, or a link token) is simply not found.
    widget = client.get(reverse("offers:widget_frame", args=[offers.get(status=OfferStatus.ACKNOWLEDGED).widget_token]))
    not_a_widget = client.get(reverse("offers:widget_frame", args=[Offer.objects.get(pk=link.pk).link_token]))
    with capsys.disabled():
        print(f"\n[expired links] {answers}; widget of an acknowledged offer {widget.status_code}, "
              f"any other token {not_a_widget.status_code}")
    assert set(answers.values()) == {410}
    assert widget.status_code == 200 and not_a_widget.status_code == 404


# --- Rate limits ------------------------------------------------------------------------


@pytest.mark.django_db
def test_token_lookups_are_rate_limited_with_a_429_page_until_the_window_ends(monkeypatch, capsys):
    acme = seed()
    tokens = working_tokens(acme)
    clock = SimpleNamespace(now=(int(timezone.now().timestamp()) // 3600 + 1) * 3600.0)  # a window starts
    monkeypatch.setattr("core.ratelimit.time", SimpleNamespace(time=lambda: clock.now))
    limits = [  # (name, method, url, allowed, window in seconds): the views' own settings
        ("claim", "get", reverse("incentives:claim", args=[tokens["claim"][0]]), 30, 600),
        ("email offer", "get", reverse("offers:recipient", args=[tokens["offer"][0]]), 60, 60),
        ("offer action", "post", reverse("offers:recipient_act", args=[tokens["offer"][0]]), 20, 60),
        ("offer messages", "get", reverse("offers:recipient_messages", args=[tokens["offer"][0]]), 60, 60),
        ("shared link", "get", reverse("offers:link", args=[tokens["offer-link"][0]]), 60, 60),
        ("widget", "get", reverse("offers:widget_frame", args=[tokens["widget"][0]]), 600, 60),
    ]
    figures = []
    for index, (name, method, url, allowed, window) in enumerate(limits):
        client = Client(REMOTE_ADDR=f"10.9.0.{index + 1}")
        start = clock.now
        codes = [getattr(client, method)(url).status_code for _ in range(allowed + 10)]
        clock.now = start + window - 1
        still = getattr(client, method)(url)
        clock.now = start + window + window / SLOTS  # a window and a slot after the hits that used the limit
        after = getattr(client, method)(url).status_code
        assert 429 not in codes[:allowed] and codes[allowed:] == [429] * 10, name
        assert still.status_code == 429 and "Too many requests" in still.content.decode(), name
        assert after != 429, name
        figures.append(f"{name}: {allowed} allowed, then 429 until {window // 60} min after them")
        clock.now = start + 3600  # the next kind starts in a fresh window
    with capsys.disabled():
        print("\n[rate limit] " + "; ".join(figures))


@pytest.mark.django_db
def test_a_minute_boundary_does_not_double_the_documented_rate(monkeypatch, capsys):
    """Regression: a fixed window let 120 look-ups through in 5 s against "60 a minute"."""
    acme = seed()
    url = reverse("offers:recipient", args=[working_tokens(acme)["offer"][0]])
    minute = (int(timezone.now().timestamp()) // 3600 + 1) * 3600.0
    clock = SimpleNamespace(now=minute - 2.5)
    monkeypatch.setattr("core.ratelimit.time", SimpleNamespace(time=lambda: clock.now))
    client = Client(REMOTE_ADDR="10.9.1.1")
    codes = []
    for n in range(120):  # 2.5 s each side of the minute boundary
        clock.now = minute - 2.5 + n * 5 / 120
        codes.append(client.get(url).status_code)
    per_window = {}
    for seconds in (30, 59, 66):
        clock.now = minute + seconds
        per_window[seconds] = client.get(url).status_code
    with capsys.disabled():
        print(f"\n[rate limit] 120 look-ups in 5 s across a minute boundary (60 a minute): {codes.count(200)} allowed, "
              f"{codes.count(429)} refused; then at +30 s {per_window[30]}, +59 s {per_window[59]}, +66 s {per_window[66]}")
    assert codes.count(200) == 60 and codes[60:] == [429] * 60
    assert per_window[30] == 429 and per_window[59] == 429 and per_window[66] == 200


# --- Logs and Referer -------------------------------------------------------------------


class Collect(logging.Handler):
    def __init__(self):
        super().__init__()
        self.lines = []
        self.addFilter(RedactTokensFilter())  # as config.settings.LOGGING attaches it

    def emit(self, record):
        self.lines.append(self.format(record))


@pytest.mark.django_db(transaction=True)
def test_tokens_never_reach_the_logs_of_the_development_server(capsys):
    acme = seed()
    tokens = working_tokens(acme)
    urls = [
        reverse("incentives:claim", args=[tokens["claim"][0]]),
        reverse("offers:recipient", args=[tokens["offer"][0]]),
        reverse("offers:link", args=[tokens["offer-link"][0]]),
        reverse("offers:widget_frame", args=[tokens["widget"][0]]),
        reverse("offers:widget_script", args=[tokens["widget"][0]]),
        reverse("incentives:claim", args=["Q" * 43]),  # unknown: a 404, logged by django.request too
        reverse("offers:recipient", args=["R" * 43]),
    ]
    # runserver's own server and request handler (the live_server fixture's handler is quiet).
    server = ThreadedWSGIServer(("127.0.0.1", 0), WSGIRequestHandler, allow_reuse_address=False)
    server.set_app(get_wsgi_application())  # sets LOGGING up again: the handler goes on after it
    collect = Collect()
    loggers = [logging.getLogger("django.server"), logging.getLogger("django.request")]
    for logger in loggers:
        logger.addHandler(collect)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    statuses = []
    try:
        for url in urls:
            try:
                statuses.append(urllib.request.urlopen(f"http://127.0.0.1:{server.server_port}{url}").status)
            except urllib.error.HTTPError as error:
                statuses.append(error.code)
        time.sleep(0.2)  # the server logs a request line just after the response went out
    finally:
        server.shutdown()
        server.server_close()
        for logger in loggers:
            logger.removeHandler(collect)
    text = "\n".join(collect.lines)
    secrets = [url.split("/")[2].removesuffix(".js") for url in urls]
    leaked = [token for token in secrets if token in text]
    with capsys.disabled():
        print(f"\n[logs] {len(urls)} token requests (statuses {statuses}), {len(collect.lines)} log lines, "
              f"{text.count('[redacted]')} redactions, {len(leaked)} tokens in the logs")
    assert statuses.count(404) == 2 and len(collect.lines) >= len(urls)
    assert leaked == []


def token_routes():
    return [route for route in routes() if "<str:token>" in route]


@pytest.mark.django_db
def test_every_token_route_sends_no_referrer_and_is_not_cached(capsys):
    acme = seed()
    tokens = working_tokens(acme)
    checked = 0
    for route in token_routes():
        kind = next(kind for kind in ("offer-link", "widget", "claim", "offer") if route.startswith(kind))
        for token in (tokens[kind][0], "U" * 43):  # a working token and an unknown one
            url = "/" + route.replace("<str:token>", token)
            client = Client()
            for response in (client.get(url), client.post(url, {})):
                checked += 1
                assert response["Referrer-Policy"] == "no-referrer", (url, response.status_code)
                if kind != "widget" or response.status_code != 200:
                    assert "no-store" in response["Cache-Control"], (url, response.status_code)
    with capsys.disabled():
        print(f"\n[referrer] {len(token_routes())} token routes, {checked} responses (working and unknown tokens, "
              "GET and POST): all Referrer-Policy: no-referrer")
    assert len(token_routes()) >= 7
