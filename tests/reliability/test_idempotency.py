"""Idempotency: a retried redemption redeems once, a duplicate in flight is refused, a reused key
with other parameters is refused, and applying a bulk upload again, or uploading the same file
again, creates nothing."""

import threading
import time

import pytest
from django.db import connection
from django.db.models import Sum
from django.utils import timezone

from api.idempotency import fingerprint_of
from budgets.models import LedgerEntry, LedgerTransaction
from budgets.selectors import ledger_problems
from rewards import services
from core.models import IdempotencyRecord, IdempotencyRecordQuerySet
from rewards.models import Redemption, RewardEvent
from tenancy.services import api_key_create

from ..api.test_rewards_api import Api, api  # noqa: F401  (api: the fixture)
from ..rewards.helpers import available, make_account, make_reward
from ..rewards.conftest import account, account_and_advocates  # noqa: F401  (fixtures)
from ..rewards.test_bulk import apply_preview, upload
from .helpers import report

pytestmark = pytest.mark.django_db


@pytest.mark.smoke
def test_one_key_sent_a_hundred_times_redeems_once_and_gets_a_hundred_identical_replies(api, account, capsys):
    reward = make_reward(account, amount_minor=10_000)
    began = time.perf_counter()
    replies = [
        api.post(f"/rewards/{reward.pk}/redeem", {"amount_minor": 1_250, "note": "order 7"}, {"Idempotency-Key": "order-7"})
        for _ in range(100)
    ]
    seconds = time.perf_counter() - began

    distinct = {(reply.status_code, reply.content) for reply in replies}
    assert len(distinct) == 1, distinct
    assert replies[0].status_code == 200 and replies[0].json()["redemption"]["amount_minor"] == 1_250
    assert Redemption.objects.filter(reward=reward).count() == 1
    assert available(account) == 8_750
    report(
        capsys,
        f"[idempotency] 1 key x 100 requests: {Redemption.objects.filter(reward=reward).count()} redemption, "
        f"{len(distinct)} distinct reply (status and bytes), available $87.50, {seconds:.1f} s",
    )


@pytest.mark.django_db(transaction=True)
def test_a_duplicate_while_the_first_is_inside_its_transaction_gets_a_409(organization, monkeypatch, capsys):
    account, _ = make_account(organization)
    reward = make_reward(account, amount_minor=10_000)
    _, raw = api_key_create(organization=organization, name="Held", actor=None)
    inside, release = threading.Event(), threading.Event()
    redeem = services.reward_redeem

    def held_redeem(**kwargs):  # the first request stops inside its transaction until released
        inside.set()
        assert release.wait(10)
        return redeem(**kwargs)

    monkeypatch.setattr(services, "reward_redeem", held_redeem)
    path, body, headers = f"/rewards/{reward.pk}/redeem", {"amount_minor": 500}, {"Idempotency-Key": "held-1"}
    first = {}

    def send_first():
        try:
            first["reply"] = Api(raw).post(path, body, headers)
        finally:
            connection.close()

    thread = threading.Thread(target=send_first)
    thread.start()
    assert inside.wait(10)
    duplicate = Api(raw).post(path, body, headers)
    redeemed_meanwhile = Redemption.objects.count()
    release.set()
    thread.join()
    retry = Api(raw).post(path, body, headers)

    assert (duplicate.status_code, duplicate.json()["code"]) == (409, "idempotency_in_progress")
    assert redeemed_meanwhile == 0
    assert first["reply"].status_code == 200
    assert (retry.status_code, retry.content) == (200, first["reply"].content)
    assert Redemption.objects.count() == 1 and available(account) == 9_500
    assert ledger_problems() == []
    report(
        capsys,
        f"[idempotency] duplicate while the first is in flight: {duplicate.status_code} {duplicate.json()['code']}; "
        f"first {first['reply'].status_code}, retry afterwards {retry.status_code} with the same body, 1 redemption",
    )


def test_a_duplicate_arriving_as_the_first_fails_and_releases_the_key_gets_a_409_not_a_500(
    api, organization, account, monkeypatch
):
    """Regression: the duplicate found the key taken, then the first request failed and deleted
    its claim before the duplicate read it; that read must not crash."""
    reward = make_reward(account, amount_minor=1_000)
    path = f"/rewards/{reward.pk}/redeem"
    IdempotencyRecord.objects.create(
        organization=organization, key="vanishing", fingerprint=fingerprint_of(f"/api/v1{path}", {"amount_minor": 100, "note": ""})
    )
    claim = IdempotencyRecordQuerySet.claim

    def claim_as_the_first_fails(queryset, **kwargs):
        taken = claim(queryset, **kwargs)
        IdempotencyRecord.objects.filter(key="vanishing").delete()  # the first request's failure releases it
        return taken

    monkeypatch.setattr(IdempotencyRecordQuerySet, "claim", claim_as_the_first_fails)
    response = api.post(path, {"amount_minor": 100}, {"Idempotency-Key": "vanishing"})
    assert (response.status_code, response.json()["code"]) == (409, "idempotency_in_progress")
    monkeypatch.undo()
    retry = api.post(path, {"amount_minor": 100}, {"Idempotency-Key": "vanishing"})
    assert retry.status_code == 200 and available(account) == 900


def test_the_same_key_with_other_parameters_is_a_422_and_changes_nothing(api, account, capsys):
    reward, other = make_reward(account, amount_minor=10_000), make_reward(account, amount_minor=10_000)
    headers = {"Idempotency-Key": "order-9"}
    api.post(f"/rewards/{reward.pk}/redeem", {"amount_minor": 1_000}, headers)
    variants = {
        "another amount": (f"/rewards/{reward.pk}/redeem", {"amount_minor": 1_001}),
        "another note": (f"/rewards/{reward.pk}/redeem", {"amount_minor": 1_000, "note": "again"}),
        "no amount": (f"/rewards/{reward.pk}/redeem", {}),
        "another reward": (f"/rewards/{other.pk}/redeem", {"amount_minor": 1_000}),
    }
    answers = {name: api.post(path, body, headers) for name, (path, body) in variants.items()}

    assert {name: (a.status_code, a.json()["code"]) for name, a in answers.items()} == dict.fromkeys(
        variants, (422, "idempotency_key_reused")
    )
    assert Redemption.objects.count() == 1
    assert available(account) == 19_000
    report(capsys, f"[idempotency] same key, {len(variants)} other requests: all 422 idempotency_key_reused, 0 redeemed")


@pytest.fixture
def bulk_file(organization):
    """Five accounts of four $20.00 rewards, and a file of 25 rows: $2.50 from each reward, $12.00 from each account."""
    accounts = [make_account(organization)[0] for _ in range(5)]
    lines = ["account_external_id,reward_external_id,amount,note"]
    for number, account in enumerate(accounts):
        for part in range(4):
            make_reward(account, amount_minor=2_000, external_id=f"BULK-{number}-{part}")
            lines.append(f",BULK-{number}-{part},2.50,reward row")
        lines.append(f"{account.external_id},,12.00,account row")
    return accounts, "\n".join(lines) + "\n"


def bulk_counts(accounts):
    """Redemptions, their ledger transactions and entries, audit events, claimed keys, and each account's balance."""
    moves = LedgerTransaction.objects.filter(kind=LedgerTransaction.Kind.REWARD_REDEEM)
    return (
        Redemption.objects.count(),
        moves.count(),
        LedgerEntry.objects.filter(transaction__in=moves).count(),
        RewardEvent.objects.filter(action=RewardEvent.Action.REDEEMED).count(),
        IdempotencyRecord.objects.count(),
        [available(account) for account in accounts],
    )


def test_applying_the_same_bulk_upload_twice_creates_nothing_the_second_time(client_for, researcher, bulk_file, capsys):
    accounts, text = bulk_file
    client = client_for(researcher)
    preview = upload(client, text)

    first = apply_preview(client, preview)
    after_first = bulk_counts(accounts)
    second = apply_preview(client, preview)  # a double submit of the preview

    assert "Applied 25 of 25 rows." in first
    assert "Applied 0 of 25 rows." in second and second.count("Already applied") == 25
    assert bulk_counts(accounts) == after_first
    assert after_first[5] == [8_000 - 4 * 250 - 1_200] * 5
    assert ledger_problems() == []
    report(
        capsys,
        f"[idempotency] bulk preview of 25 rows submitted twice: {after_first[0]} redemptions after the first, "
        f"{bulk_counts(accounts)[0] - after_first[0]} new after the second, ledger clean",
    )


def test_re_uploading_the_same_bulk_file_creates_nothing_and_a_changed_file_is_applied(client_for, researcher, bulk_file, capsys):
    accounts, text = bulk_file
    client = client_for(researcher)
    began = timezone.now()
    assert "Applied 25 of 25 rows." in apply_preview(client, upload(client, text))
    after_first = bulk_counts(accounts)

    again = upload(client, text)  # a fresh upload of the same file: a new preview
    applied_at = [row.applied_at for row in again.context["rows"]]
    assert all(began <= when <= timezone.now() for when in applied_at) and len(applied_at) == 25
    assert again.content.decode().count(f"by {researcher.email}, from an earlier upload of this same file.") == 25
    assert again.context["good"] == 0
    second = apply_preview(client, again)
    after_second = bulk_counts(accounts)
    assert "Applied 0 of 25 rows." in second
    assert after_second == after_first  # no redemption, ledger row, event or key; balances unchanged

    changed = text.replace(" row\n", " row (second payout)\n")  # the same rows in another file
    third = apply_preview(client, upload(client, changed))
    after_third = bulk_counts(accounts)
    assert "Applied 25 of 25 rows." in third
    second_payout = Redemption.objects.filter(note__endswith="(second payout)").aggregate(total=Sum("amount_minor"))["total"]
    assert second_payout == 5 * (4 * 250 + 1_200) and after_third[5] == [5_800 - 4 * 250 - 1_200] * 5
    assert ledger_problems() == []
    report(
        capsys,
        f"[idempotency] the same 25-row file uploaded again: preview {len(applied_at)} already applied, "
        f"{again.context['good']} to apply; apply created "
        f"{after_second[0] - after_first[0]} redemptions, "
        f"ledger {after_first[1]} transactions / {after_first[2]} entries unchanged, balances unchanged; "
        f"the same rows with another note: 25 rows applied ({after_third[0] - after_second[0]} redemptions, "
        f"${second_payout / 100:.2f}), ledger clean",
    )
