"""The System status page, /healthz, /readyz and the owners' banner when beat is late."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from core.models import ScheduledJobRun
from core.services import scheduled_job_record

from ..conftest import celery_broker

pytestmark = pytest.mark.django_db


def test_healthz_answers_ok_without_asking_anything(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert response.json() == {"status": "ok"} and response["Cache-Control"].startswith("max-age=0")


def test_readyz_says_the_database_and_broker_answer(client):
    assert client.get("/readyz").json() == {"status": "ok", "database": True, "broker": True}


def test_readyz_answers_503_when_the_broker_does_not(client):
    with celery_broker("redis://127.0.0.1:1/0", "nowhere"):
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "database": True, "broker": False}


def test_the_status_page_is_for_owners_and_admins(client_for, owner, admin_user, researcher, viewer):
    assert client_for(owner).get(reverse("system:status")).status_code == 200
    assert client_for(admin_user).get(reverse("system:status")).status_code == 200
    assert client_for(researcher).get(reverse("system:status")).status_code == 403
    assert client_for(viewer).get(reverse("system:status")).status_code == 403


def test_the_status_page_shows_a_live_worker_and_each_jobs_last_tick(client_for, owner, celery_worker):
    scheduled_job_record(names=["rewards-release-due"], sent=True, done=True)
    page = client_for(owner).get(reverse("system:status")).content.decode()
    workers = page.split('data-check="workers">')[1].split("</td>")[0]
    assert "1 alive" in workers
    assert "reachable" in page.split('data-check="broker">')[1].split("</td>")[0]
    release = page.split('data-job="rewards-release-due">')[1].split("</tr>")[0]
    assert "late" not in release and release.count(timezone.now().strftime("%Y-%m-%d")) == 2
    assert 'class="badge badge-failed">late' in page.split('data-job="offers-expire">')[1].split("</tr>")[0]


def test_the_status_page_counts_this_organizations_outbox_and_stuck_jobs_only(client_for, owner, organization, other_organization):
    from core.models import OutboundEmail
    from jobs.models import BackgroundJob

    for org, status in [(organization, "pending"), (organization, "failed"), (organization, "failed"), (other_organization, "failed")]:
        OutboundEmail.objects.create(organization=org, purpose="t", from_name="x", to_email="a@example.test", subject="s", text_body="b", status=status)
    old = timezone.now() - datetime.timedelta(minutes=10)
    stuck = BackgroundJob.objects.create(organization=organization, kind="incentives.remind", status="queued")
    BackgroundJob.objects.filter(pk=stuck.pk).update(created_at=old)
    BackgroundJob.objects.create(organization=organization, kind="incentives.remind", status="running", started_at=timezone.now())
    BackgroundJob.objects.create(organization=other_organization, kind="incentives.remind", status="queued")
    page = client_for(owner).get(reverse("system:status")).content.decode()
    assert "1 waiting to send</a>, <a" in page and "2 failed</a>" in page
    assert "2 queued or running, 1 stuck" in page


@pytest.mark.parametrize("seconds_ago, warned", [(None, True), (200, True), (30, False)])
def test_owners_see_a_banner_when_beat_has_not_ticked_within_its_shortest_period(client_for, owner, researcher, seconds_ago, warned):
    if seconds_ago is not None:
        scheduled_job_record(names=[ScheduledJobRun.BEAT_STARTED], sent=True)
        ScheduledJobRun.objects.update(last_sent_at=timezone.now() - datetime.timedelta(seconds=seconds_ago))
    assert ("beat-warning" in client_for(owner).get(reverse("budgets:list")).content.decode()) is warned
    assert "beat-warning" not in client_for(researcher).get(reverse("budgets:list")).content.decode()


def test_recording_a_tick_twice_keeps_one_row_per_job():
    scheduled_job_record(names=["outbox-sweep"], sent=True)
    scheduled_job_record(names=["outbox-sweep"], done=True)
    (run,) = ScheduledJobRun.objects.all()
    assert run.last_sent_at and run.last_done_at
