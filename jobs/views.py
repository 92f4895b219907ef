from django.shortcuts import render
from django.views.decorators.vary import vary_on_headers

from tenancy.access import get_for_org_or_404, organization_required

from .kinds import KINDS
from .models import BackgroundJob


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
