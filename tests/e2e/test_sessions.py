"""Issue 14 item 12 in a real browser: a participant whose session has ended shows as completed
automatically after beat's task runs; Undo puts them back to Scheduled; refusals reach the screen."""

import datetime

from django.utils import timezone
from playwright.sync_api import expect

from studies.models import Study, StudyParticipant
from studies.tasks import study_participants_complete_due

from .a11y import axe_violations
from .shots import shoot


def scheduled_row(study):
    return StudyParticipant.objects.select_related("participant").filter(study=study, status="scheduled").order_by("participant__name").first()


def test_an_ended_session_completes_automatically_and_undo_puts_it_back(page, live_server, demo, log_in, tmp_path):
    study = Study.objects.get(name="Onboarding interviews")
    row = scheduled_row(study)
    name = row.participant.name
    log_in("researcher@acme.test")
    page.goto(f"{live_server.url}/studies/{study.pk}/?group=scheduled")
    panel = page.locator("#panel")
    expect(panel.locator(f'[data-session="{row.participant_id}"]')).to_contain_text("Session ")
    # The researcher moves the session to two hours ago, an hour long: it has ended.
    started = (timezone.now() - datetime.timedelta(hours=2)).replace(second=0, microsecond=0)
    session = panel.locator(f'[data-session="{row.participant_id}"]')
    session.get_by_text("Change session").click()
    session.get_by_label("Session time (UTC)").fill(started.strftime("%Y-%m-%dT%H:%M"))
    session.get_by_label("Length (minutes)").fill("60")
    session.get_by_role("button", name="Save session").click()
    expect(page.get_by_role("status").filter(has_text=f"{name}: session saved.")).to_be_visible()
    expect(panel.locator(f'[data-session="{row.participant_id}"]')).to_contain_text(started.strftime("%H:%M") + " UTC, 60 min")

    study_participants_complete_due.delay()  # what beat runs every minute
    row.refresh_from_db()
    at = row.completed_automatically_at.strftime("%H:%M")
    page.goto(f"{live_server.url}/studies/{study.pk}/?group=done")
    done = panel.locator(f'[data-session="{row.participant_id}"]')
    expect(done).to_contain_text(f"Completed automatically at {at}")
    expect(panel.get_by_label(f"Status of {name}")).to_have_value("incentive_not_sent")
    assert axe_violations(page) == []
    shoot(page, tmp_path, "study-completed-automatically")

    done.get_by_role("button", name="Undo").click()
    expect(page.get_by_role("status").filter(has_text=f"{name} is Scheduled again")).to_be_visible()
    expect(panel.locator(f'[data-session="{row.participant_id}"]')).to_have_count(0)  # gone from Done
    row.refresh_from_db()
    assert (row.status, row.completed_automatically_at) == ("scheduled", None)
    study_participants_complete_due.delay()
    row.refresh_from_db()
    assert row.status == "scheduled"  # beat leaves an undone session alone


def test_undo_after_an_incentive_went_out_is_refused_on_screen(page, live_server, demo, log_in):
    study = Study.objects.get(name="Onboarding interviews")
    row = scheduled_row(study)
    StudyParticipant.objects.filter(pk=row.pk).update(session_at=timezone.now() - datetime.timedelta(hours=3), session_minutes=30)
    study_participants_complete_due.delay()
    log_in("researcher@acme.test")
    page.goto(f"{live_server.url}/studies/{study.pk}/?group=done")
    # Meanwhile, in another tab, the incentive is sent (its status changes under the open page).
    StudyParticipant.objects.filter(pk=row.pk).update(status="incentive_sent")
    page.locator(f'[data-session="{row.participant_id}"]').get_by_role("button", name="Mark no-show").click()
    expect(page.get_by_role("alert")).to_contain_text(f"{row.participant.name} has been sent an incentive; cancel it first.")


def test_a_session_length_without_a_time_is_refused_on_screen(page, live_server, demo, log_in):
    study = Study.objects.get(name="Onboarding interviews")
    log_in("researcher@acme.test")
    page.goto(f"{live_server.url}/studies/{study.pk}/")
    page.get_by_label("Name").fill("Mary Jackson")
    page.get_by_label("Email").fill("mary.jackson@example.test")
    page.get_by_label("Length (minutes)").first.fill("45")
    page.get_by_role("button", name="Add participant").click()
    expect(page.get_by_role("alert")).to_contain_text("Session time (UTC): Give the session's time too.")
    assert not StudyParticipant.objects.filter(study=study, participant__email="mary.jackson@example.test").exists()
