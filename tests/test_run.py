"""`make run` is the whole product: the Procfile's web, worker and beat under honcho, on the
embedded default broker (REDIS_URL unset: an embedded Redis), one Ctrl-C stopping them all."""

import datetime
import json
import re
import urllib.request

import psutil
import pytest
from django.test import Client
from django.utils import timezone

from core.models import OutboundEmail
from rewards.models import Reward
from tenancy.services import api_key_create

from .incentives.helpers import send_to
from .reliability.servers import wait_for
from .rewards.helpers import make_account
from .run_helpers import Run, get
from .studies.conftest import study  # noqa: F401

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def marked(mark: str) -> list[psutil.Process]:
    found = []
    for process in psutil.process_iter():
        try:
            if process.environ().get("GRATIA_RUN") == mark:
                found.append(process)
        except psutil.Error:
            continue
    return found


def test_worker_and_beat_release_a_scheduled_reward_deliver_email_and_show_alive(tmp_path, organization, owner, study):
    account, _ = make_account(organization)
    _, key = api_key_create(organization=organization, name="Run", actor=None)
    mark = f"test-run-{tmp_path.name}"
    run = Run(tmp_path, GRATIA_RUN=mark)
    run.start()
    try:
        # A reward through the API, pending for 3 seconds: beat's release job makes it available.
        pending_until = (timezone.now() + datetime.timedelta(seconds=3)).isoformat()
        request = urllib.request.Request(
            f"{run.url}/api/v1/accounts/{account.pk}/rewards", method="POST",
            data=json.dumps({"amount_minor": 2_500, "currency": "USD", "event_at": timezone.now().isoformat(),
                             "source_event": "Referral", "pending_until": pending_until}).encode(),
            headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            reward_id = json.loads(response.read())["id"]
        assert Reward.objects.get(pk=reward_id).status == "pending"
        wait_for(lambda: Reward.objects.get(pk=reward_id).status == "available", timeout=30, what="the reward is released")

        # Incentives sent here queue their emails on the run's broker; its worker delivers them.
        with run.tasks_to_this_broker():
            send_to(study, 1, actor=owner)
        email = OutboundEmail.objects.for_org(organization).get()
        wait_for(lambda: OutboundEmail.objects.get(pk=email.pk).status == "sent", timeout=30, what="the worker sends the email")
        assert f"X-Outbox-Id: {email.pk}" in run.log() and re.search(r"worker\.1 +\| X-Outbox-Id", run.log())

        client = Client()
        client.force_login(owner)
        status, page = get(f"{run.url}/system/", cookie=f"sessionid={client.cookies['sessionid'].value}")
        assert status == 200
        assert re.search(r'data-check="workers"><span class="badge badge-sent">1 alive', page)
        assert '<span class="badge badge-sent">alive</span>' in page.split('data-check="beat"')[1]
        assert run.json("/readyz") == {"status": "ok", "database": True, "broker": True}
        assert "beat-warning" not in get(f"{run.url}/rewards/", cookie=f"sessionid={client.cookies['sessionid'].value}")[1]
        assert len(marked(mark)) >= 4  # honcho, web, worker (and its pool), beat
    finally:
        run.stop()
    assert marked(mark) == []  # one Ctrl-C stopped every process


def test_no_live_token_in_anything_a_send_claim_offer_reward_run_writes(tmp_path):
    """Everything the run's processes print (honcho's log: web, worker and beat, stdout and
    stderr) and every file the embedded Redis writes is searched for every live token."""
    from incentives.models import Incentive
    from incentives.tokens import claim_token
    from offers.models import Offer, OfferMember

    from .reliability.test_tokens import hand_out_more, seed, working_tokens

    run = Run(tmp_path)
    run.start()
    try:
        with run.tasks_to_this_broker():
            acme = seed()
            hand_out_more(acme)  # incentives sent, a reminder, an email offer, a shared link joined
        emails = OutboundEmail.objects.for_org(acme).filter(status="pending")
        assert emails.exists()
        wait_for(lambda: not emails.exists(), timeout=30, what="the worker delivers every email")
        tokens = working_tokens(acme)
        paths = {"claim": "/claim/{}/", "offer": "/offer/{}/", "offer-link": "/offer-link/{}/", "widget": "/widget/{}/"}
        for kind, path in paths.items():  # the recipients open their links: the web logs each request
            assert get(run.url + path.format(tokens[kind][0]))[0] == 200, kind
        _, key = api_key_create(organization=acme, name="Run", actor=None)
        account, _ = make_account(acme, name="Token scan")
        request = urllib.request.Request(
            f"{run.url}/api/v1/accounts/{account.pk}/rewards", method="POST",
            data=json.dumps({"amount_minor": 100, "currency": "USD", "event_at": timezone.now().isoformat(), "source_event": "Scan"}).encode(),
            headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
        )
        assert urllib.request.urlopen(request, timeout=10).status == 201
    finally:
        run.stop()
    written = run.log() + "".join(path.read_bytes().decode(errors="replace") for path in run.redis_dir.iterdir() if path.is_file())
    live = {claim_token(nonce) for nonce in Incentive.objects.values_list("token_nonce", flat=True)}
    live |= {member.token for member in OfferMember.objects.all()}
    live |= {o.link_token for o in Offer.objects.exclude(link_nonce=None)} | {o.widget_token for o in Offer.objects.exclude(widget_nonce=None)}
    live.add(key)
    assert written.count("X-Outbox-Id:") >= 5, "the worker printed the emails"
    assert "/claim/[redacted]" in written and "GET /claim/[redacted]/" in written
    assert [token for token in live if token in written] == []
