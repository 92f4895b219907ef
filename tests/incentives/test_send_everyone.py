"""Sending to everyone in the Done group (the wizard posts the group, not the ids) and large
sends as background jobs: progress, exactly once, the budget reserved chunk by chunk."""

import re
import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from budgets.models import LedgerTransaction
from budgets.selectors import ledger_problems
from budgets.services import budget_withdraw
from core.models import OutboundEmail
from core.money import Money
from incentives.models import Incentive
from incentives.services.bulk import incentives_send_run
from incentives.views import studies as study_views
from jobs import services as job_services
from jobs import tasks
from jobs.models import BackgroundJob
from studies.models import StudyParticipant

from ..studies.factories import add_participants
from .test_send import budget_figures
from .test_views import wizard

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}
EVERYONE = {"selection": "all"}
DRAFT = {"amount": "1", "subject": "Thanks", "message": "Hi {name}"}


def done_group(study, count):
    return add_participants(study, count)


def job_url(response):
    return response["HX-Redirect"]


def test_all_in_the_done_group_is_posted_as_the_group_and_counted_by_the_server(client_for, researcher, study):
    people = done_group(study, 30)
    add_participants(study, 4, StudyParticipant.Status.SCHEDULED)
    page = wizard(client_for(researcher), study, **EVERYONE, amount="1").content.decode()
    assert "To all 30 participants in the Done group:" in page and "and 18 more" in page
    assert '<input type="hidden" name="selection" value="all"><input type="hidden" name="expected" value="30">' in page
    assert 'name="participants"' not in page  # no id travels: the group does
    page = wizard(client_for(researcher), study, **EVERYONE, expected="30", **DRAFT, step="message").content.decode()
    assert "$30.00 in all" in page and "Send to 30 participants" in page and "send-in-background" not in page
    assert len(people) == 30


def test_the_total_for_everyone_is_checked_against_the_budget_at_the_amount_step(client_for, researcher, study, budget):
    done_group(study, 41)
    body = wizard(client_for(researcher), study, **EVERYONE, expected="41", **{**DRAFT, "amount": "25"}, step="message").content.decode()
    assert 'aria-current="step">1. Amount' in body
    assert "Interviews has $1,000.00 available; 41 × $25.00 needs $1,025.00, $25.00 more." in body
    assert not Incentive.objects.exists()


def test_a_send_to_everyone_pays_the_done_group_and_no_one_else(client_for, researcher, study, budget, django_capture_on_commit_callbacks):
    done = done_group(study, 12)
    others = add_participants(study, 3, StudyParticipant.Status.SCHEDULED)
    with django_capture_on_commit_callbacks(execute=True):
        response = wizard(client_for(researcher), study, **EVERYONE, expected="12", **DRAFT, step="send")
    assert response.status_code == 200 and "Sent 12 incentives of $1.00" in response.content.decode()
    assert sorted(Incentive.objects.values_list("participant_id", flat=True)) == sorted(p.pk for p in done)
    assert not Incentive.objects.filter(participant__in=others).exists()
    assert budget_figures(budget) == (100_000 - 1_200, 1_200, 0)


def test_a_done_group_that_changed_since_it_was_counted_is_shown_again_and_nothing_is_sent(client_for, researcher, study, budget):
    done_group(study, 5)
    response = wizard(client_for(researcher), study, **EVERYONE, expected="4", **DRAFT, step="send")
    body = response.content.decode()
    assert 'aria-current="step">1. Amount' in body
    assert "The Done group has changed since you chose it: it holds 5 participants now, not 4." in body
    assert 'name="expected" value="5"' in body and 'value="message">Next' in body  # the new count, to go on with
    assert not Incentive.objects.exists() and budget_figures(budget) == (100_000, 0, 0)


def test_an_empty_done_group_is_a_clear_message(client_for, researcher, study):
    body = wizard(client_for(researcher), study, **EVERYONE).content.decode()
    assert "No one is in the Done group now; nothing to send." in body


def test_everyone_in_a_group_larger_than_a_form_may_post_as_ids_is_sent(client_for, researcher, study, budget, settings):
    """1,200 participants: their ids would be 1,200 fields (Django refuses more than 1,000); the group is two."""
    settings.INCENTIVE_SEND_JOB_ABOVE = 5_000
    done_group(study, 1_200)
    client = client_for(researcher)
    ids = {"participants": list(StudyParticipant.objects.values_list("participant_id", flat=True)), **DRAFT, "step": "send"}
    assert wizard(client, study, **ids).status_code == 400  # TooManyFieldsSent, as before
    response = wizard(client, study, **EVERYONE, expected="1200", **{**DRAFT, "amount": "0.5"}, step="send")
    assert "Sent 1,200 incentives of $0.50" in response.content.decode()
    assert Incentive.objects.count() == 1_200 and budget_figures(budget) == (100_000 - 60_000, 60_000, 0)


def test_the_done_panel_shows_its_first_rows_and_offers_all_of_the_group(client_for, researcher, study, monkeypatch):
    monkeypatch.setattr(study_views, "PANEL_ROWS", 3)
    done_group(study, 5)
    page = client_for(researcher).get(reverse("studies:panel", args=[study.pk]), {"group": "done"}, **HTMX).content.decode()
    assert page.count('name="participants"') == 3
    assert "Showing the first 3 of 5, by name." in page
    assert "All 3 shown are selected." in page and "Select all 5 in the Done group" in page
    assert '<input type="hidden" name="selection" value="" data-selection>' in page


def test_a_done_panel_that_fits_offers_no_select_all_banner(client_for, researcher, study):
    done_group(study, 2)
    page = client_for(researcher).get(reverse("studies:panel", args=[study.pk]), {"group": "done"}, **HTMX).content.decode()
    assert "data-select-everyone" not in page and "Showing the first" not in page


# Large sends: a background job


@pytest.fixture
def job_above(settings):
    settings.INCENTIVE_SEND_JOB_ABOVE = 10
    return settings


def test_a_large_send_starts_a_job_and_answers_with_its_progress_page(client_for, researcher, study, budget, job_above):
    done_group(study, 11)
    client = client_for(researcher)
    message = wizard(client, study, **EVERYONE, expected="11", **DRAFT, step="message").content.decode()
    assert "A send to this many runs in the background" in message
    response = wizard(client, study, **EVERYONE, expected="11", **DRAFT, step="send")
    job = BackgroundJob.objects.get()
    assert response.status_code == 200 and job_url(response) == reverse("jobs:detail", args=[job.pk])
    assert (job.kind, job.total, job.status, job.return_url) == ("incentives_send", 11, "queued", f"/studies/{study.pk}/")
    assert job.params == {"study_id": study.pk, "amount_minor": 100, "subject": "Thanks", "message": "Hi {name}"}
    assert not Incentive.objects.exists() and budget_figures(budget) == (100_000, 0, 0)  # nothing yet: the job pays
    page = client.get(job_url(response)).content.decode()
    assert "Sending 11 incentives of $1.00 in the background." in page and "Sending incentives" in page


def test_the_job_reserves_and_pays_chunk_by_chunk_exactly_once(researcher, study, budget, job_above):
    done = done_group(study, 250)
    job = incentives_send_run(study=study, participant_ids=[p.pk for p in done], amount=Money(100, "USD"), subject="Thanks", message="Hi {name}", actor=researcher)
    tasks.job_run(job.pk)
    tasks.job_run(job.pk)  # the task run again (redelivered): nothing more
    job.refresh_from_db()
    assert (job.status, job.processed, job.done_count, job.skipped_count) == ("done", 250, 250, 0)
    reserves = LedgerTransaction.objects.filter(kind="reserve", budget=budget).order_by("pk")
    assert list(reserves.values_list("memo", flat=True)) == [f"{n} incentives for {study.name}" for n in (100, 100, 50)]
    assert Incentive.objects.count() == 250 and budget_figures(budget) == (100_000 - 25_000, 25_000, 0)
    assert OutboundEmail.objects.filter(purpose="incentive_claim").count() == 250
    assert StudyParticipant.objects.filter(study=study, status="incentive_sent").count() == 250
    # A second job over the same people (two tabs, an old page): each is skipped, none paid twice.
    again = incentives_send_run(study=study, participant_ids=[p.pk for p in done[:20]], amount=Money(100, "USD"), subject="Thanks", message="Hi", actor=researcher)
    tasks.job_run(again.pk)
    again.refresh_from_db()
    assert (again.done_count, again.summary["skipped"]) == (0, {"sent already": 20})
    assert Incentive.objects.count() == 250 and ledger_problems() == []


def test_a_double_click_on_a_large_send_starts_one_job(client_for, researcher, study, budget, job_above):
    done_group(study, 12)
    client = client_for(researcher)
    data = {**EVERYONE, "expected": "12", **DRAFT, "step": "send", "once": "a" * 32}
    first, second = wizard(client, study, **data), wizard(client, study, **data)
    job = BackgroundJob.objects.get()
    assert job_url(first) == job_url(second) == reverse("jobs:detail", args=[job.pk])
    assert "This send was started already; nothing was sent twice." in client.get(job_url(second)).content.decode()


def test_a_budget_spent_while_the_job_runs_stops_it_with_the_reason_and_keeps_what_was_sent(researcher, owner, study, budget, job_above):
    done = done_group(study, 30)
    job = incentives_send_run(study=study, participant_ids=[p.pk for p in done], amount=Money(3_000, "USD"), subject="Thanks", message="Hi", actor=researcher)
    assert job_services.job_advance(job_id=job.pk, ids=job.ids, chunk_size=10) is True  # $300 sent
    budget_withdraw(budget=budget, amount=Money(60_000, "USD"), actor=owner)  # $100 left: the $600 of the 20 others can't be
    tasks.job_run(job.pk)
    job.refresh_from_db()
    assert (job.status, job.processed, job.done_count) == ("failed", 10, 10)
    assert job.error == "Budget Interviews has $100.00 available; this send needs $600.00."  # the 20 left, one chunk
    assert Incentive.objects.count() == 10 and ledger_problems() == []


def test_the_start_of_a_large_send_takes_the_same_queries_for_many_participants(client_for, researcher, study, budget, job_above):
    """The request resolves the group in SQL and writes one job row: 20 or 400 participants alike."""
    client = client_for(researcher)
    counts = []
    for size in (20, 400):
        StudyParticipant.objects.all().delete()
        done_group(study, size)
        with CaptureQueriesContext(connection) as queries:
            response = wizard(client, study, **EVERYONE, expected=str(size), **DRAFT, step="send")
        assert "HX-Redirect" in response
        counts.append(len(queries))
    assert counts[0] == counts[1], counts


@pytest.mark.queue
def test_a_real_worker_runs_a_large_send_to_the_end(celery_worker, client_for, researcher, study, budget, settings):
    settings.INCENTIVE_SEND_JOB_ABOVE = 100
    done_group(study, 230)
    started = time.monotonic()
    response = wizard(client_for(researcher), study, **EVERYONE, expected="230", **DRAFT, step="send")
    assert time.monotonic() - started < 1.0 and "HX-Redirect" in response
    job = BackgroundJob.objects.get()
    deadline = time.monotonic() + 60
    while job.status != "done" and time.monotonic() < deadline:
        time.sleep(0.2)
        job.refresh_from_db()
    assert (job.status, job.done_count) == ("done", 230)
    assert Incentive.objects.filter(status="unclaimed").count() == 230
    assert budget_figures(budget) == (100_000 - 23_000, 23_000, 0) and ledger_problems() == []
    deadline = time.monotonic() + 60
    while OutboundEmail.objects.filter(status="sent").count() < 230 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert OutboundEmail.objects.filter(purpose="incentive_claim", status="sent").count() == 230
    assert re.fullmatch(r"/jobs/\d+/", job_url(response))
