"""Bulk and row actions of the Recipients table: cancel, resend, selection, access."""

import datetime
import time

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from budgets.models import LedgerTransaction
from budgets.selectors import ledger_problems
from core.models import OutboundEmail
from core.services import outbound_email_bodies
from incentives.services import bulk
from incentives.models import Incentive
from incentives.tokens import claim_token
from jobs.models import BackgroundJob
from studies.models import StudyParticipant

from ..factories import make_budget, member
from ..studies.factories import make_study
from .factories_recipients import make_incentive, make_incentives

pytestmark = pytest.mark.django_db
Status = Incentive.Status
LIST = reverse("recipients:list")
CANCEL = reverse("recipients:bulk", args=["cancel"])
RESEND = reverse("recipients:bulk", args=["resend"])


def available(budget) -> int:
    budget.available_account.refresh_from_db()
    return budget.available_account.balance_minor


def statuses(incentives) -> list[str]:
    return [Incentive.objects.get(pk=i.pk).status for i in incentives]


def said(response) -> list[str]:
    """The messages this request added (earlier ones wait in the session, unread)."""
    return [str(m) for m in get_messages(response.wsgi_request)._queued_messages]


def post_ids(client, url, incentives, **extra):
    return client.post(url, {"selection": [i.pk for i in incentives], "next": LIST, **extra})


@pytest.mark.smoke
def test_cancel_of_a_mix_cancels_only_the_unclaimed_and_returns_exactly_their_money(client_for, researcher, study, budget):
    unclaimed = make_incentives(study, 3, amount_minor=2_000)
    claimed = make_incentives(study, 2, status=Status.CLAIMED)
    cancelled = make_incentives(study, 1, status=Status.CANCELLED)
    before = available(budget)
    client = client_for(researcher)

    response = post_ids(client, CANCEL, unclaimed + claimed + cancelled, confirmed="1")

    assert response.status_code == 302 and response["Location"] == LIST
    assert statuses(unclaimed) == ["cancelled"] * 3
    assert statuses(claimed) == ["claimed"] * 2 and statuses(cancelled) == ["cancelled"]
    assert available(budget) == before + 6_000
    assert ledger_problems() == []
    assert said(response) == ["Cancelled 3 incentives. Skipped 3: 2 claimed, 1 already cancelled."]

    again = post_ids(client, CANCEL, unclaimed + claimed + cancelled, confirmed="1")
    assert available(budget) == before + 6_000
    assert said(again) == ["Cancelled 0 incentives. Skipped 6: 4 already cancelled, 2 claimed."]
    assert ledger_problems() == []


def test_cancel_first_asks_with_the_count_and_the_money_going_back_to_each_budget(client_for, owner, researcher, study, budget):
    other_budget = make_budget(study.organization, name="EU tests", currency="EUR", funds_minor=0, actor=owner)
    euro_study = make_study(budget=other_budget, owner=researcher, amount_minor=4_000)
    rows = make_incentives(study, 2) + make_incentives(euro_study, 3) + make_incentives(study, 1, status=Status.CLAIMED)
    before = available(budget)

    response = post_ids(client_for(researcher), CANCEL, rows)

    content = response.content.decode()
    assert response.status_code == 200
    assert "Cancel 5 incentives?" in content
    assert "<strong>$50.00</strong> to Interviews (2 incentives)" in content
    assert "<strong>€120.00</strong> to EU tests (3 incentives)" in content
    assert "Skipped, never cancelled: 1 claimed." in content
    assert 'name="confirmed" value="1"' in content
    assert statuses(rows) == ["unclaimed"] * 5 + ["claimed"] and available(budget) == before


def test_select_all_matching_with_some_unticked_acts_on_exactly_the_rest(client_for, researcher, study):
    old = make_incentives(study, 6, sent_at=timezone.now() - datetime.timedelta(days=400))
    recent = make_incentives(study, 2)
    unticked = [old[1], old[4]]

    response = client_for(researcher).post(CANCEL, {
        "all_matching": "1", "filters": "status=unclaimed&sent=over_a_year",
        "excluded": f"{unticked[0].pk},{unticked[1].pk}", "next": LIST, "confirmed": "1",
    })

    assert said(response) == ["Cancelled 4 incentives."]
    assert statuses(old) == ["cancelled", "unclaimed", "cancelled", "cancelled", "unclaimed", "cancelled"]
    assert statuses(recent) == ["unclaimed"] * 2


def test_cancelling_every_row_of_the_table_at_once_is_not_allowed(client_for, researcher, study):
    rows = make_incentives(study, 3)
    response = client_for(researcher).post(CANCEL, {"all_matching": "1", "filters": "", "next": LIST, "confirmed": "1"})
    assert response.status_code == 302
    assert said(response) == [
        "Cancelling every incentive of the table at once is not allowed. Filter the table, or tick the incentives to cancel. "
        "Nothing was changed."
    ]
    assert statuses(rows) == ["unclaimed"] * 3


def test_resending_every_row_is_allowed(client_for, researcher, study):
    rows = make_incentives(study, 2)
    response = client_for(researcher).post(RESEND, {"all_matching": "1", "filters": "", "next": LIST})
    assert said(response) == ["Resent 2 incentives."]
    assert [Incentive.objects.get(pk=i.pk).reminder_count for i in rows] == [1, 1]


def test_resend_emails_the_same_claim_link_to_unclaimed_ones_and_counts_it(client_for, researcher, study, django_capture_on_commit_callbacks):
    unclaimed = make_incentive(study, name="Ada Lovelace")
    claimed = make_incentive(study, status=Status.CLAIMED)

    with django_capture_on_commit_callbacks(execute=True):
        response = post_ids(client_for(researcher), RESEND, [unclaimed, claimed])

    assert said(response) == ["Resent 1 incentive. Skipped 1: 1 claimed."]
    unclaimed.refresh_from_db()
    assert unclaimed.reminder_count == 1 and unclaimed.last_reminded_at is not None
    email = OutboundEmail.objects.get(reference=f"incentive:{unclaimed.pk}", purpose="incentive_reminder")
    assert claim_token(unclaimed.token_nonce) in outbound_email_bodies(email)[0]  # put in at delivery
    assert not OutboundEmail.objects.filter(reference=f"incentive:{claimed.pk}").exists()


def test_a_double_click_on_resend_emails_once(client_for, researcher, study):
    row = make_incentive(study)
    client = client_for(researcher)
    post_ids(client, RESEND, [row])
    again = post_ids(client, RESEND, [row])
    assert said(again) == ["Resent 0 incentives. Skipped 1: 1 reminded in the last 10 minutes."]
    assert Incentive.objects.get(pk=row.pk).reminder_count == 1


def test_the_row_menu_cancels_and_resends_one_incentive(client_for, researcher, study, budget):
    row, other = make_incentives(study, 2)
    before = available(budget)
    client = client_for(researcher)
    resent = client.post(reverse("recipients:resend", args=[row.pk]), {"next": LIST, "selection": [other.pk]})
    assert said(resent) == ["Resent 1 incentive."]
    cancelled = client.post(reverse("recipients:cancel", args=[row.pk]), {"next": LIST})
    assert said(cancelled) == ["Cancelled 1 incentive."]
    assert statuses([row, other]) == ["cancelled", "unclaimed"]
    assert available(budget) == before + 2_500
    assert Incentive.objects.get(pk=other.pk).reminder_count == 0


def test_a_researcher_cant_cancel_incentives_of_studies_they_dont_own(client_for, organization, owner, study):
    stranger = member(organization, "researcher")
    rows = make_incentives(study, 2)
    preview = post_ids(client_for(stranger), CANCEL, rows)
    assert "Nothing to cancel" in preview.content.decode() and "2 in studies you don&#x27;t own" in preview.content.decode()
    response = post_ids(client_for(stranger), CANCEL, rows, confirmed="1")
    assert said(response) == ["Cancelled 0 incentives. Skipped 2: 2 in studies you don't own."]
    assert statuses(rows) == ["unclaimed"] * 2
    assert said(post_ids(client_for(owner), CANCEL, rows, confirmed="1")) == ["Cancelled 2 incentives."]


@pytest.mark.parametrize("url", [CANCEL, RESEND])
def test_a_viewer_can_read_but_not_act(client_for, viewer, study, url):
    rows = make_incentives(study, 2)
    assert client_for(viewer).get(LIST).status_code == 200
    assert post_ids(client_for(viewer), url, rows, confirmed="1").status_code == 403
    assert client_for(viewer).post(reverse("recipients:cancel", args=[rows[0].pk])).status_code == 403
    assert statuses(rows) == ["unclaimed"] * 2
    assert Incentive.objects.filter(reminder_count__gt=0).count() == 0


@pytest.mark.parametrize("url", [CANCEL, RESEND])
def test_another_organizations_ids_in_a_bulk_request_are_refused_and_change_nothing(client_for, outsider, other_organization, study, url):
    ours = make_incentives(study, 2)
    theirs_budget = make_budget(other_organization, funds_minor=0, actor=outsider)
    theirs = make_incentives(make_study(budget=theirs_budget, owner=outsider), 1)

    response = post_ids(client_for(outsider), url, theirs + ours, confirmed="1")

    assert response.status_code == 404
    assert statuses(ours + theirs) == ["unclaimed"] * 3
    assert Incentive.objects.filter(reminder_count__gt=0).count() == 0
    assert ledger_problems() == []


def test_another_organizations_incentive_in_the_row_menu_is_not_found(client_for, outsider, study):
    row = make_incentive(study)
    assert client_for(outsider).post(reverse("recipients:cancel", args=[row.pk])).status_code == 404
    assert client_for(outsider).post(reverse("recipients:resend", args=[row.pk])).status_code == 404
    assert statuses([row]) == ["unclaimed"]


@pytest.mark.parametrize(
    "data, message",
    [
        ({"selection": ["abc"]}, "The selection was not understood; nothing was changed."),
        ({}, "Tick at least one incentive first."),
        ({"all_matching": "1", "filters": "sent=before"}, "The filters are not valid; correct them and try again. Nothing was changed."),
        ({"all_matching": "1", "filters": "status=claimed"}, "No incentives match this selection; nothing was changed."),
    ],
)
def test_a_bad_selection_gets_a_message_and_changes_nothing(client_for, researcher, study, data, message):
    rows = make_incentives(study, 2)
    response = client_for(researcher).post(RESEND, {"next": LIST, **data})
    assert response.status_code == 302 and said(response) == [message]
    assert Incentive.objects.filter(reminder_count__gt=0).count() == 0 and statuses(rows) == ["unclaimed"] * 2


def test_an_unknown_action_is_not_found(client_for, researcher, study):
    assert client_for(researcher).post(reverse("recipients:bulk", args=["delete"]), {}).status_code == 404


def test_an_offsite_next_is_not_followed(client_for, researcher, study):
    row = make_incentive(study)
    response = post_ids(client_for(researcher), RESEND, [row], next="https://evil.example/")
    assert response["Location"] == LIST


def test_a_large_selection_runs_as_a_job_with_the_same_result(client_for, researcher, study, budget, django_capture_on_commit_callbacks):
    rows = make_incentives(study, bulk.BULK_JOB_THRESHOLD + 5, sent_at=timezone.now() - datetime.timedelta(days=400))
    make_incentives(study, 3, status=Status.CLAIMED, sent_at=timezone.now() - datetime.timedelta(days=400))
    before = available(budget)

    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(researcher).post(CANCEL, {"all_matching": "1", "filters": "sent=over_a_year", "next": LIST, "confirmed": "1"})

    job = BackgroundJob.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("jobs:detail", args=[job.pk])
    assert (job.status, job.total, job.processed, job.done_count, job.skipped_count) == ("done", len(rows) + 3, len(rows) + 3, len(rows), 3)
    assert job.summary == {"skipped": {"claimed": 3}, "failed": []}
    assert job.return_url == LIST
    assert available(budget) == before + 2_500 * len(rows)
    assert ledger_problems() == []


@pytest.mark.parametrize("url, data", [(RESEND, {}), (CANCEL, {}), (CANCEL, {"confirmed": "1"})])
def test_a_selection_over_the_bulk_limit_is_refused_whole_and_starts_no_job(client_for, researcher, study, monkeypatch, url, data):
    monkeypatch.setattr(bulk, "BULK_MAX_ROWS", 4)
    rows = make_incentives(study, 5, sent_at=timezone.now() - datetime.timedelta(days=400))
    response = client_for(researcher).post(url, {"all_matching": "1", "filters": "sent=over_a_year", "next": LIST, **data})
    assert response.status_code == 302 and response["Location"] == LIST
    assert said(response) == [
        "This selection holds 5 incentives; a bulk action takes at most 4 at a time. "
        "Narrow the filters (study, budget, sent date) and act in parts. Nothing was changed."
    ]
    assert statuses(rows) == ["unclaimed"] * 5
    assert Incentive.objects.filter(reminder_count__gt=0).count() == 0 and not BackgroundJob.objects.exists()


def test_a_selection_at_the_bulk_limit_is_acted_on(client_for, researcher, study, monkeypatch):
    monkeypatch.setattr(bulk, "BULK_MAX_ROWS", 5)
    rows = make_incentives(study, 5, sent_at=timezone.now() - datetime.timedelta(days=400))
    response = client_for(researcher).post(RESEND, {"all_matching": "1", "filters": "sent=over_a_year", "next": LIST})
    assert said(response) == ["Resent 5 incentives."] and statuses(rows) == ["unclaimed"] * 5


@pytest.mark.queue
def test_a_real_worker_runs_a_bulk_job_to_the_end(celery_worker, client_for, researcher, study, budget):
    rows = make_incentives(study, bulk.BULK_JOB_THRESHOLD + 50, sent_at=timezone.now() - datetime.timedelta(days=400))
    before = available(budget)
    response = client_for(researcher).post(CANCEL, {"all_matching": "1", "filters": "sent=over_a_year", "next": LIST, "confirmed": "1"})
    job = BackgroundJob.objects.get()
    assert response["Location"] == reverse("jobs:detail", args=[job.pk])
    deadline = time.monotonic() + 60
    while job.status != "done" and time.monotonic() < deadline:
        time.sleep(0.2)
        job.refresh_from_db()
    assert (job.status, job.done_count) == ("done", len(rows))
    assert available(budget) == before + 2_500 * len(rows)
    assert ledger_problems() == []


@pytest.mark.parametrize("action", ["cancel", "resend"])
def test_a_chunk_takes_the_same_number_of_statements_whatever_its_size(django_assert_num_queries, researcher, study, budget, action):
    """Set-based, 10 rows and 200 alike: the savepoint pair, the permission look-up (role and
    owned studies), one conditional UPDATE ... RETURNING, the skipped rows' reasons; then for
    a cancel the budget, its release (one UPDATE of both accounts, one INSERT of the
    transaction with its entries), the incentives' link to it and the participants; for a resend the
    incentives to email and one INSERT of the emails."""
    expected = {"cancel": 12, "resend": 8}[action]
    for size in (10, 200):
        rows = make_incentives(study, size) + make_incentives(study, 1, status=Status.CLAIMED)
        ids = [row.pk for row in rows]
        with django_assert_num_queries(expected):
            result = bulk.ACTIONS[action](organization=study.organization, ids=ids, actor=researcher)
        assert (result.done, dict(result.skipped)) == (size, {"claimed": 1})
    if action == "cancel":
        assert ledger_problems() == []
        releases = LedgerTransaction.objects.filter(kind="release", budget=budget)
        assert list(releases.order_by("pk").values_list("memo", flat=True)) == ["Cancelled 10 incentives", "Cancelled 200 incentives"]
        assert Incentive.objects.filter(status="cancelled", release_transaction__in=releases).count() == 210
        assert StudyParticipant.objects.filter(study=study, status="incentive_not_sent").count() == 210
    else:
        assert OutboundEmail.objects.filter(purpose="incentive_reminder").count() == 210


def test_a_cancel_over_two_budgets_releases_once_to_each(researcher, owner, study, budget):
    euro = make_study(budget=make_budget(study.organization, name="EU", currency="EUR", funds_minor=0, actor=owner), owner=researcher, amount_minor=4_000)
    rows = make_incentives(study, 3) + make_incentives(euro, 2)
    before = available(budget)
    result = bulk.incentives_cancel_many(organization=study.organization, ids=[row.pk for row in rows], actor=researcher)
    assert result.done == 5 and available(budget) == before + 3 * 2_500
    assert available(euro.budget) == 2 * 4_000
    releases = LedgerTransaction.objects.filter(kind="release").order_by("budget__currency")
    assert [(r.budget.currency, r.memo, r.actor_id) for r in releases] == [("EUR", "Cancelled 2 incentives", researcher.pk), ("USD", "Cancelled 3 incentives", researcher.pk)]
    assert ledger_problems() == []
