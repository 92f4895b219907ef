from django.shortcuts import render
from django.views.decorators.vary import vary_on_headers

from core import system
from core.lists import list_page
from tenancy.access import get_for_org_or_404, manager_required, organization_required

from . import selectors
from .kinds import KINDS
from .models import BackgroundJob
from .tables import JobFilterSet, JobTable


@organization_required
def job_list(request):
    jobs = BackgroundJob.objects.for_org(request.organization).defer("ids", "summary").select_related("created_by")
    return list_page(request, "jobs/job_list.html", JobTable, JobFilterSet, jobs)


@organization_required
@vary_on_headers("HX-Request")
def job_detail(request, pk):
    """The job's progress; the page polls this view every second until the job is finished."""
    job = get_for_org_or_404(BackgroundJob.objects.defer("ids"), request, pk=pk)
    title, verb, _ = KINDS[job.kind]
    template = "jobs/job_detail.html"
    if request.htmx:
        template += "#progress"
    return render(request, template, {"job": job, "title": title, "verb": verb})


@manager_required
def system_status(request):
    """Is the background work running: workers, beat's jobs, the broker, and this organization's
    outbox and bulk jobs."""
    names = system.workers()
    return render(request, "core/system_status.html", {
        "workers": names,
        "broker_reachable": system.broker_reachable(),
        "queue_length": system.queue_length(),
        "jobs": system.scheduled_jobs(),
        "beat_last_tick": system.beat_last_tick(),
        "beat_late": system.beat_is_late(),
        "outbox": system.outbox_counts(request.organization),
        "bulk_jobs": selectors.bulk_job_counts(request.organization),
    })
