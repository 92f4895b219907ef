"""The send wizard (htmx): amount -> thank-you email -> preview -> send."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.csp import CSP
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.csp import csp_override
from django.views.decorators.http import require_POST
from django.contrib.humanize.templatetags.humanize import intcomma
from django.utils.translation import gettext as _, ngettext

from django_htmx.http import HttpResponseClientRedirect

from core.errors import DomainError
from core.money import Money
from core.once import once
from jobs.models import BackgroundJob
from studies.models import Study
from studies.services import study_can_manage
from tenancy.access import get_for_org_or_404, organization_required

from .. import emails, selectors, tax
from ..forms import SendChoiceForm, SendMessageForm
from ..services.bulk import incentives_send_run, send_runs_in_background

PREVIEW_SESSION_KEY = "incentive-send-preview"


def _sendable_study(request, study_pk) -> Study:
    studies = Study.objects.select_related("organization", "budget__available_account")
    study = get_for_org_or_404(studies, request, pk=study_pk)
    if not study_can_manage(study=study, user=request.user, membership=request.membership):
        raise PermissionDenied(_("Only this study's owners and organization admins can send its incentives."))
    return study


def _wizard(request, step, context, status=200):
    return render(request, "incentives/send_wizard.html", {**context, "step": step}, status=status)


@organization_required
@require_POST
def incentives_send(request, study_pk):
    """The send wizard (htmx): amount -> message -> preview -> send. Each step posts what the
    steps before it collected; nothing is stored until the last one."""
    study = _sendable_study(request, study_pk)
    data = request.POST.copy()
    subject, message = emails.default_message(study=study)
    for name, value in (("amount", study.incentive_amount.plain()), ("subject", subject), ("message", message)):
        data.setdefault(name, value)
    step = data.get("step", "amount")
    choice = SendChoiceForm(data, study=study)
    context = {"study": study, "choice": choice}
    if step == "amount" or not choice.is_valid():
        return _wizard(request, "amount", context)
    chosen, participant_ids = choice.chosen(), choice.cleaned_data["participants"]
    amount, count = choice.cleaned_data["amount"], len(participant_ids)
    context.update(
        chosen=chosen, count=count, amount=amount, total=amount * count, message_form=SendMessageForm(data),
        in_background=send_runs_in_background(study=study, count=count, amount=amount),
    )
    if step in ("message", "preview"):
        context["tax_crossings"] = tax.send_crossings(
            organization=study.organization, participants=choice.chosen_participants(), amount=amount
        )
    if step == "message" or not context["message_form"].is_valid():
        return _wizard(request, "message", context)
    draft = context["message_form"].cleaned_data
    if step == "preview":
        request.session[PREVIEW_SESSION_KEY] = {
            "study": study.pk, "name": chosen[0].participant.name, "amount": amount.amount_minor,
            "language": chosen[0].participant.language, **draft,
        }
        context["email"] = _preview(study=study, name=chosen[0].participant.name, amount=amount, language=chosen[0].participant.language, **draft)
        return _wizard(request, "preview", context)
    study_url = reverse("studies:detail", args=[study.pk])
    try:
        with once(request) as first:  # a double click, a retried request: the second finds the key taken
            outcome = incentives_send_run(
                study=study, participant_ids=participant_ids, amount=amount,
                actor=request.user, return_url=study_url, **draft,
            ) if first else None
    except DomainError as error:
        context["send_error"] = error.message
        return _wizard(request, "message", context, status=409)
    if not isinstance(outcome, list):
        return _to_job(request, study=study, job=outcome, amount=amount, study_url=study_url)
    incentives = outcome
    request.session.pop(PREVIEW_SESSION_KEY, None)
    count = len(incentives)
    awaiting = incentives[0].approval_id is not None
    if awaiting:
        messages.success(request, ngettext(
            "%(count)s incentive of %(amount)s: awaiting approval. Nothing is emailed until another owner or admin approves.",
            "%(count)s incentives of %(amount)s: awaiting approval. Nothing is emailed until another owner or admin approves.", count,
        ) % {"count": count, "amount": amount})
    else:
        messages.success(request, ngettext(
            "Sent %(count)s incentive of %(amount)s. The emails are on their way.",
            "Sent %(count)s incentives of %(amount)s. The emails are on their way.", count,
        ) % {"count": count, "amount": amount})
    # The study's figures go back out of band: the budget's available money and the counts moved.
    study.budget.available_account.refresh_from_db()
    totals = selectors.study_incentive_totals(study=study)
    return _wizard(request, "done", {**context, "sent": incentives, "awaiting_approval": awaiting, "totals": totals})


def _to_job(request, *, study, job, amount, study_url):
    """A large send runs as a background job: its progress page. A repeated post (job None)
    goes to the page of the send it repeats."""
    request.session.pop(PREVIEW_SESSION_KEY, None)
    if job is None:
        job = (
            BackgroundJob.objects.for_org(request.organization)
            .filter(kind="incentives_send", created_by=request.user, params__study_id=study.pk)
            .order_by("-pk").first()
        )
        messages.info(request, _("This send was started already; nothing was sent twice."))
    else:
        messages.success(request, _("Sending %(count)s incentives of %(amount)s in the background. This page shows how far it is.") % {
            "count": intcomma(job.total), "amount": amount})
    return HttpResponseClientRedirect(reverse("jobs:detail", args=[job.pk]) if job else study_url)


def _preview(*, study, name, amount, subject, message, language=None):
    # The preview's button points to a sample link; each participant gets their own. In the
    # first participant's language, as they will receive it.
    return emails.render_claim_email(
        organization=study.organization, participant_name=name, amount=amount, subject=subject, message=message,
        url=emails.claim_url("preview-link-each-participant-gets-their-own"), language=language,
    )


@organization_required
@xframe_options_sameorigin
@csp_override({
    "default-src": [CSP.NONE], "style-src": [CSP.UNSAFE_INLINE], "img-src": ["data:"],
    "frame-ancestors": [CSP.SELF], "sandbox": True,
})
def incentives_send_preview_html(request, study_pk):
    """The previewed email's HTML exactly as it will be sent, framed in a sandbox without scripts."""
    study = _sendable_study(request, study_pk)
    draft = request.session.get(PREVIEW_SESSION_KEY) or {}
    if draft.get("study") != study.pk:
        return HttpResponse("<p>%s</p>" % _("Nothing to preview."))
    email = _preview(
        study=study, name=draft["name"], amount=Money(draft["amount"], study.currency),
        subject=draft["subject"], message=draft["message"], language=draft.get("language"),
    )
    return HttpResponse(email.html_body)
