"""The organization's policies run by beat: reminders on the listed days (up to a cap), expiry
of incentives unclaimed too long (on a fixed clock)."""

import datetime

import pytest
from django.conf import settings
from django.utils import timezone

from budgets.models import LedgerTransaction
from budgets.selectors import ledger_problems
from config import celery_app
from core.models import OutboundEmail
from incentives import policies
from incentives.models import Incentive
from incentives.tokens import claim_token

from .factories_recipients import make_incentive, make_incentives

EXPIRY_STATEMENTS = 12
pytestmark = pytest.mark.django_db
Status = Incentive.Status
START = datetime.datetime(2026, 3, 1, 9, 0, tzinfo=datetime.UTC)


@pytest.fixture
def clock(monkeypatch):
    """A settable timezone.now(), for the policies and the services they call."""

    class Clock:
        now = START

        def at(self, days: float) -> datetime.datetime:
            self.now = START + datetime.timedelta(days=days)
            return self.now

    clock = Clock()
    monkeypatch.setattr(timezone, "now", lambda: clock.now)
    return clock


def reminders(incentive) -> int:
    return OutboundEmail.objects.filter(reference=f"incentive:{incentive.pk}", purpose="incentive_reminder").count()


@pytest.mark.smoke
def test_reminders_go_out_once_on_each_listed_day_and_never_more(organization, study, clock):
    organization.reminder_days = [7, 21]
    organization.save()
    incentive = make_incentive(study, sent_at=START)
    sent = []
    for day in [1, 6.9, 7, 7.1, 8, 20, 21, 21.5, 30, 60, 400]:
        clock.at(day)
        sent.append(policies.incentives_remind_due())
    assert sent == [0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0]
    incentive.refresh_from_db()
    assert incentive.reminder_count == 2 and reminders(incentive) == 2


def test_a_missed_reminder_day_is_caught_up_once(organization, study, clock):
    organization.reminder_days = [7, 21]
    organization.save()
    incentive = make_incentive(study, sent_at=START)
    clock.at(25)  # beat was down on day 7 and day 21
    assert policies.incentives_remind_due() == 1
    assert policies.incentives_remind_due() == 0
    assert reminders(incentive) == 1


def test_a_manual_resend_after_a_listed_day_counts_for_it(organization, study, clock):
    organization.reminder_days = [7]
    organization.save()
    make_incentive(study, sent_at=START, reminded_at=START + datetime.timedelta(days=8))
    clock.at(9)
    assert policies.incentives_remind_due() == 0


def test_only_unclaimed_incentives_of_organizations_with_reminder_days_are_reminded(organization, other_organization, study, clock):
    organization.reminder_days = [3]
    organization.save()
    unclaimed = make_incentive(study, sent_at=START)
    claimed = make_incentive(study, sent_at=START, status=Status.CLAIMED)
    cancelled = make_incentive(study, sent_at=START, status=Status.CANCELLED)
    clock.at(4)
    assert policies.incentives_remind_due() == 1
    assert [reminders(i) for i in (unclaimed, claimed, cancelled)] == [1, 0, 0]
    email = OutboundEmail.objects.get(reference=f"incentive:{unclaimed.pk}")
    assert email.organization_id == organization.pk


def test_no_reminder_days_means_no_reminders(organization, study, clock):
    make_incentive(study, sent_at=START)
    clock.at(100)
    assert policies.incentives_remind_due() == 0


def test_automatic_reminders_stop_at_the_organizations_cap_counting_resends_by_hand(organization, study, clock):
    organization.reminder_days = [7, 14, 21, 28]
    organization.reminder_max = 2
    organization.save()
    untouched = make_incentive(study, sent_at=START)
    resent_by_hand = make_incentive(study, sent_at=START, reminded_at=START + datetime.timedelta(days=2))
    sent = []
    for day in [7, 14, 21, 28, 60]:
        clock.at(day)
        sent.append(policies.incentives_remind_due())
    assert sent == [2, 1, 0, 0, 0]
    untouched.refresh_from_db()
    resent_by_hand.refresh_from_db()
    assert (untouched.reminder_count, reminders(untouched)) == (2, 2)
    assert (resent_by_hand.reminder_count, reminders(resent_by_hand)) == (2, 1)


def test_incentives_unclaimed_past_the_period_expire_and_their_money_returns(organization, study, budget, clock):
    organization.unclaimed_expire_after_days = 365
    organization.save()
    old = make_incentives(study, 3, sent_at=START, amount_minor=1_000)
    claimed = make_incentive(study, sent_at=START, status=Status.CLAIMED)
    recent = make_incentive(study, sent_at=START + datetime.timedelta(days=100))
    budget.available_account.refresh_from_db()
    before = budget.available_account.balance_minor

    clock.at(365.5)
    assert policies.incentives_expire_unclaimed_due() == 3
    assert policies.incentives_expire_unclaimed_due() == 0

    expired = Incentive.objects.filter(pk__in=[i.pk for i in old])
    assert [(i.status, i.expired_at, i.cancelled_at) for i in expired] == [("expired", clock.now, None)] * 3
    release = LedgerTransaction.objects.get(kind="release", memo__startswith="Expired")  # one for the three
    assert release.memo == "Expired 3 incentives: unclaimed past the organization's period"
    assert set(expired.values_list("release_transaction", flat=True)) == {release.pk}
    assert Incentive.objects.get(pk=claimed.pk).status == "claimed"
    assert Incentive.objects.get(pk=recent.pk).status == "unclaimed"
    budget.available_account.refresh_from_db()
    assert budget.available_account.balance_minor == before + 3_000
    assert ledger_problems() == []


@pytest.mark.parametrize("count", [3, 60])
def test_expiry_is_set_based_the_same_statements_for_few_or_many(organization, study, budget, clock, count, django_assert_num_queries):
    organization.unclaimed_expire_after_days = 30
    organization.save()
    make_incentives(study, count, sent_at=START, amount_minor=100)
    clock.at(31)
    # 12 for 3 or 60: the organizations, the batch's ids, one UPDATE ... RETURNING, participants
    # back in Done, the budgets, one release (one UPDATE, one INSERT), the release
    # links, the webhook payloads, the next (empty) batch, and the transaction's savepoints
    with django_assert_num_queries(EXPIRY_STATEMENTS):
        assert policies.incentives_expire_unclaimed_due() == count


def test_an_expired_link_says_it_has_expired(client, organization, study, clock):
    organization.unclaimed_expire_after_days = 30
    organization.save()
    incentive = make_incentive(study, sent_at=START)
    clock.at(31)
    policies.incentives_expire_unclaimed_due()
    response = client.get(f"/claim/{claim_token(incentive.token_nonce)}/")
    assert response.status_code == 410 and "This link has expired: it was not claimed in time." in response.content.decode()


def test_no_expiry_period_means_nothing_expires(organization, study, clock):
    make_incentive(study, sent_at=START)
    clock.at(5000)
    assert policies.incentives_expire_unclaimed_due() == 0


def test_the_policy_tasks_are_registered_for_a_worker_and_scheduled():
    celery_app.loader.import_default_modules()
    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    for name in ("incentives.policy_tasks.incentives_remind_due", "incentives.policy_tasks.incentives_expire_unclaimed_due"):
        assert name in celery_app.tasks and name in scheduled


def test_the_policy_tasks_run_the_policies(organization, study):
    organization.reminder_days = [1]
    organization.unclaimed_expire_after_days = 30
    organization.save()
    make_incentive(study, sent_at=timezone.now() - datetime.timedelta(days=2))
    make_incentive(study, sent_at=timezone.now() - datetime.timedelta(days=31))
    assert celery_app.tasks["incentives.policy_tasks.incentives_expire_unclaimed_due"].delay().get() == 1
    assert celery_app.tasks["incentives.policy_tasks.incentives_remind_due"].delay().get() == 1
