"""Background jobs: chunked progress committed as it goes, the polled progress page."""

import pytest
from django.urls import reverse

from budgets.selectors import ledger_problems
from core.models import OutboundEmail
from incentives.models import Incentive
from jobs import services, tasks
from jobs.models import BackgroundJob

from ..factories import make_budget, member
from ..incentives.factories_recipients import make_incentives
from ..studies.factories import make_study

pytestmark = pytest.mark.django_db


@pytest.fixture
def study(budget, researcher):
    return make_study(budget=budget, owner=researcher, name="Jobs study")


def start(organization, actor, ids, kind="incentives_cancel"):
    return BackgroundJob.objects.create(organization=organization, kind=kind, created_by=actor, ids=ids, total=len(ids))


def test_a_job_advances_one_committed_chunk_at_a_time_and_resumes_where_it_stopped(organization, researcher, study):
    rows = make_incentives(study, 5) + make_incentives(study, 2, status="claimed")
    ids = [row.pk for row in rows]
    job = start(organization, researcher, ids)

    assert services.job_advance(job_id=job.pk, ids=ids, chunk_size=3) is True
    job.refresh_from_db()
    assert (job.status, job.processed, job.done_count, job.skipped_count) == ("running", 3, 3, 0)

    tasks.job_run(job.pk)  # a redelivered task goes on from the committed position
    job.refresh_from_db()
    assert (job.status, job.processed, job.done_count, job.skipped_count) == ("done", 7, 5, 2)
    assert job.summary == {"skipped": {"claimed": 2}, "failed": []}
    assert job.started_at and job.finished_at
    assert Incentive.objects.filter(status="cancelled").count() == 5
    assert services.job_advance(job_id=job.pk, ids=ids) is False
    assert ledger_problems() == []


def test_job_start_queues_the_task_on_commit(organization, researcher, study, django_capture_on_commit_callbacks):
    rows = make_incentives(study, 2)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        job = services.job_start(organization=organization, kind="incentives_resend", created_by=researcher, ids=[r.pk for r in rows])
    assert len(callbacks) == 2  # the job's task, then one delivery task for the two reminder emails it queued
    job.refresh_from_db()
    assert (job.status, job.done_count) == ("done", 2)
    assert OutboundEmail.objects.filter(purpose="incentive_reminder", status="sent").count() == 2


def test_an_unknown_kind_is_refused(organization, researcher):
    with pytest.raises(services.JobError):
        services.job_start(organization=organization, kind="delete_everything", created_by=researcher, ids=[1])
    assert not BackgroundJob.objects.exists()


def test_a_job_that_breaks_is_marked_failed(organization, researcher, monkeypatch):
    job = start(organization, researcher, [1, 2])
    monkeypatch.setattr(services, "import_string", lambda path: (_ for _ in ()).throw(RuntimeError("boom")))
    with pytest.raises(RuntimeError):
        tasks.job_run(job.pk)
    job.refresh_from_db()
    assert (job.status, job.error) == ("failed", "RuntimeError: boom")


@pytest.mark.smoke
def test_the_progress_page_shows_a_bar_and_polls_until_done(client_for, organization, researcher):
    job = start(organization, researcher, [1, 2, 3, 4])
    BackgroundJob.objects.filter(pk=job.pk).update(status="running", processed=2, done_count=1, skipped_count=1, summary={"skipped": {"claimed": 1}})
    client = client_for(researcher)
    content = client.get(reverse("jobs:detail", args=[job.pk])).content.decode()
    assert '<progress value="2" max="4"' in content and 'hx-trigger="every 1s"' in content
    assert "1 claimed" in content and "Cancelling incentives" in content

    BackgroundJob.objects.filter(pk=job.pk).update(status="done", processed=4, done_count=3, return_url="/incentives/recipients/")
    fragment = client.get(reverse("jobs:detail", args=[job.pk]), HTTP_HX_REQUEST="true").content.decode()
    assert fragment.lstrip().startswith('<section id="job-progress"')
    assert "hx-trigger" not in fragment and '<progress value="4" max="4"' in fragment
    assert 'href="/incentives/recipients/"' in fragment


def test_another_organizations_job_is_not_found(client_for, organization, researcher, outsider):
    job = start(organization, researcher, [1])
    assert client_for(outsider).get(reverse("jobs:detail", args=[job.pk])).status_code == 404


def test_a_viewer_can_watch_a_job(client_for, organization, viewer, researcher):
    job = start(organization, researcher, [1])
    assert client_for(viewer).get(reverse("jobs:detail", args=[job.pk])).status_code == 200


def test_a_jobs_actor_keeps_their_own_rights(organization, owner, study):
    """The job acts as the person who started it: a researcher without the study skips its rows."""
    stranger = member(organization, "researcher")
    other_study = make_study(budget=make_budget(organization, actor=owner), owner=owner)
    rows = make_incentives(other_study, 2)
    job = start(organization, stranger, [r.pk for r in rows])
    tasks.job_run(job.pk)
    job.refresh_from_db()
    assert (job.done_count, job.summary["skipped"]) == (0, {"in studies you don't own": 2})


# session, user, membership, saved columns, the page of jobs with who started them
QUERIES_JOB_LIST = 5


@pytest.mark.parametrize("count", [2, 60])
def test_the_jobs_list_filters_and_makes_a_constant_number_of_queries(client_for, organization, researcher, owner, outsider, count, django_assert_num_queries):
    for n in range(count):
        start(organization, researcher if n % 2 else owner, [n], kind="incentives_resend" if n == 0 else "incentives_cancel")
    BackgroundJob.objects.filter(kind="incentives_resend").update(status="done")
    start(outsider.memberships.get().organization, outsider, [1])
    client = client_for(researcher)
    with django_assert_num_queries(QUERIES_JOB_LIST):
        page = client.get(reverse("jobs:list")).content.decode()
    assert page.count("<progress ") == min(count, 50)
    done = client.get(reverse("jobs:list"), {"status": "done"}, HTTP_HX_REQUEST="true").content.decode()
    assert done.count("<progress ") == 1 and "Resending incentives" in done and "<html" not in done
    mine = client.get(reverse("jobs:list"), {"started_by": "me"}).content.decode()
    assert mine.count("<progress ") == min(count // 2, 50)
    assert "Bulk jobs" in page  # in the user menu
