"""Issue 14 item 12: scheduled participants complete automatically once their session has ended."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from audit.kinds import ActorKind
from audit.models import AuditEvent
from studies import services
from studies.models import StudyParticipant
from studies.tasks import study_participants_complete_due

from .factories import add_participants

pytestmark = pytest.mark.django_db
Status = StudyParticipant.Status
HOUR = datetime.timedelta(hours=1)


def scheduled(study, count, *, started, minutes=60, prefix="s"):
    people = add_participants(study, count, Status.SCHEDULED, prefix=prefix)
    StudyParticipant.objects.filter(study=study, participant__in=people).update(session_at=started, session_minutes=minutes)
    return list(StudyParticipant.objects.filter(study=study, participant__in=people).order_by("pk"))


def test_only_sessions_that_have_ended_complete(study):
    now = timezone.now()
    ended, running = scheduled(study, 1, started=now - 2 * HOUR, prefix="e")[0], scheduled(study, 1, started=now - HOUR / 2, prefix="r")[0]
    assert services.study_participants_complete_due(now=now) == 1
    ended.refresh_from_db(), running.refresh_from_db()
    assert (ended.status, ended.completed_automatically_at) == (Status.INCENTIVE_NOT_SENT, now)
    assert (running.status, running.completed_automatically_at) == (Status.SCHEDULED, None)


def test_no_shows_closed_studies_and_people_without_a_session_stay_scheduled(study, researcher):
    now = timezone.now()
    no_show = scheduled(study, 1, started=now - 2 * HOUR)[0]
    services.study_participant_mark_no_show(study_participant=no_show, actor=researcher)
    add_participants(study, 1, Status.SCHEDULED)
    assert services.study_participants_complete_due(now=now) == 0
    scheduled(study, 1, started=now - 2 * HOUR, prefix="c")
    study.status = study.Status.CLOSED
    study.save()
    assert services.study_participants_complete_due(now=now) == 0


def test_completion_is_one_update_per_chunk(study, django_assert_num_queries):
    now = timezone.now()
    scheduled(study, 5, started=now - 2 * HOUR)
    # Chunks of 2: 2 + 2 + 1 rows, each one UPDATE (with its savepoint pair).
    with django_assert_num_queries(9):
        assert services.study_participants_complete_due(now=now, chunk_size=2) == 5
    assert set(StudyParticipant.objects.filter(study=study).values_list("status", flat=True)) == {Status.INCENTIVE_NOT_SENT}


def test_the_beat_task_is_scheduled_and_audited_as_itself(settings, study):
    entry = settings.CELERY_BEAT_SCHEDULE["study-participants-complete-due"]
    assert entry["task"] == study_participants_complete_due.name
    row = scheduled(study, 1, started=timezone.now() - 2 * HOUR)[0]
    study_participants_complete_due.delay()
    event = AuditEvent.objects.filter(object_type="studies.studyparticipant", object_id=row.pk).latest("pk")
    assert (event.action, event.actor_kind, event.actor) == (Status.INCENTIVE_NOT_SENT, ActorKind.TASK, study_participants_complete_due.name)


def test_undo_puts_them_back_to_scheduled_and_beat_leaves_them(study, researcher):
    now = timezone.now()
    row = scheduled(study, 1, started=now - 2 * HOUR)[0]
    services.study_participants_complete_due(now=now)
    row = services.study_participant_undo_completion(study_participant=row, actor=researcher)
    assert (row.status, row.completed_automatically_at) == (Status.SCHEDULED, None)
    assert services.study_participants_complete_due(now=now + HOUR) == 0
    # A new session time is a new chance: it completes when that one ends.
    services.study_participant_set_session(study_participant=row, actor=researcher, session_at=now, session_minutes=30)
    assert services.study_participants_complete_due(now=now + HOUR) == 1


def test_undo_is_refused_for_someone_completed_by_hand_or_already_sent(study, researcher):
    row = add_participants(study, 1, Status.INCENTIVE_NOT_SENT)[0]
    membership = StudyParticipant.objects.get(participant=row)
    with pytest.raises(services.StudyError, match="wasn't completed automatically"):
        services.study_participant_undo_completion(study_participant=membership, actor=researcher)
    StudyParticipant.objects.filter(pk=membership.pk).update(status=Status.INCENTIVE_SENT, completed_automatically_at=timezone.now())
    with pytest.raises(services.StudyError, match="has been sent an incentive"):
        services.study_participant_mark_no_show(study_participant=membership, actor=researcher)


def test_a_viewer_cannot_undo(study, viewer):
    row = scheduled(study, 1, started=timezone.now() - 2 * HOUR)[0]
    services.study_participants_complete_due()
    with pytest.raises(services.NotAllowed):
        services.study_participant_undo_completion(study_participant=row, actor=viewer)


def test_a_session_needs_both_time_and_length(study, researcher):
    with pytest.raises(services.StudyError, match="both the session time and its length"):
        services.study_participant_add(study=study, actor=researcher, name="Ada", email="ada@example.test", session_minutes=30)


def test_the_add_form_schedules_with_a_session(client_for, researcher, study):
    client_for(researcher).post(
        reverse("studies:participant_add", args=[study.pk]),
        {"name": "Ada", "email": "ada@example.test", "status": "invited", "session_at": "2026-12-04T14:00", "session_minutes": "45"},
    )
    row = StudyParticipant.objects.get(study=study)
    assert (row.status, row.session_at.isoformat(), row.session_minutes) == (Status.SCHEDULED, "2026-12-04T14:00:00+00:00", 45)
    page = client_for(researcher).get(reverse("studies:detail", args=[study.pk]) + "?group=scheduled").content.decode()
    assert "Session 4 Dec 2026, 14:00 UTC, 45 min" in page


def test_the_add_form_names_the_missing_half_of_a_session(client_for, researcher, study):
    response = client_for(researcher).post(
        reverse("studies:participant_add", args=[study.pk]),
        {"name": "Ada", "email": "ada@example.test", "status": "invited", "session_minutes": "45"}, follow=True,
    )
    assert "Session time (UTC): Give the session&#x27;s time too." in response.content.decode()
    assert not StudyParticipant.objects.filter(study=study).exists()


def test_csv_import_reads_session_columns(client_for, researcher, study):
    upload = SimpleUploadedFile("p.csv", b"name,email,session,minutes\nAda,ada@example.test,2026-12-04 14:00,60\nBob,bob@example.test,,\n")
    client_for(researcher).post(reverse("studies:participants_import", args=[study.pk]), {"file": upload})
    rows = {r.participant.name: r for r in StudyParticipant.objects.filter(study=study).select_related("participant")}
    assert (rows["Ada"].status, rows["Ada"].session_minutes) == (Status.SCHEDULED, 60)
    assert (rows["Bob"].status, rows["Bob"].session_at) == (Status.INVITED, None)


def test_csv_import_reports_an_unreadable_session(client_for, researcher, study):
    upload = SimpleUploadedFile("p.csv", b"Ada,ada@example.test,tomorrow,60\n")
    page = client_for(researcher).post(reverse("studies:participants_import", args=[study.pk]), {"file": upload}, follow=True).content.decode()
    assert "Row 1: the session should read like 2026-12-04 14:00,60" in page
    assert not StudyParticipant.objects.filter(study=study).exists()


def test_the_panel_says_it_completed_automatically_and_offers_undo(client_for, researcher, study):
    when = timezone.now().replace(hour=14, minute=30, second=0, microsecond=0)
    row = scheduled(study, 1, started=when - 2 * HOUR)[0]
    services.study_participants_complete_due(now=when)
    page = client_for(researcher).get(reverse("studies:detail", args=[study.pk]) + "?group=done").content.decode()
    assert "Completed automatically at 14:30" in page
    assert reverse("studies:participant_undo_completion", args=[study.pk, row.participant_id]) in page


def test_undo_from_the_panel_shows_the_refusal(client_for, researcher, study):
    person = add_participants(study, 1, Status.INCENTIVE_NOT_SENT)[0]
    response = client_for(researcher).post(
        reverse("studies:participant_undo_completion", args=[study.pk, person.pk]), {"group": "done"}, HTTP_HX_REQUEST="true"
    )
    assert "wasn&#x27;t completed automatically" in response.content.decode()


@pytest.mark.parametrize("name", ["studies:participant_session", "studies:participant_undo_completion", "studies:participant_no_show"])
def test_another_organizations_participant_is_not_found(client_for, outsider, study, name):
    person = add_participants(study, 1)[0]
    assert client_for(outsider).post(reverse(name, args=[study.pk, person.pk])).status_code == 404
