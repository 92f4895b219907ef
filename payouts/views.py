"""The Payouts page: what is owed by method, batches, their files; for owners, admins and finance."""

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _, ngettext
from django.views.decorators.http import require_POST

from core.errors import DomainError
from core.lists import list_page
from core.once import once
from tenancy.access import get_for_org_or_404, payer_required

from . import files, selectors, services
from .filters import PayoutBatchFilterSet, PayoutFilterSet
from .forms import BatchForm, PayoutFailedForm
from .models import Payout, PayoutBatch
from .tables import PayoutBatchTable, PayoutTable


@payer_required
def payout_list(request):
    return list_page(
        request, "payouts/payout_list.html", PayoutBatchTable, PayoutBatchFilterSet,
        selectors.batch_list(organization=request.organization),
        context={"owed": selectors.payouts_owed(organization=request.organization)},
    )


@payer_required
@require_POST
def payout_batch_create(request):
    form = BatchForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a payout method and currency to batch."))
        return redirect("payouts:list")
    try:
        with once(request) as first:
            if not first:
                messages.info(request, _("Done already, once: that batch was made."))
                return redirect("payouts:list")
            batch = services.payout_batch_create(
                organization=request.organization, actor=request.user, **form.cleaned_data
            )
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("payouts:list")
    payouts = ngettext("%(count)d payout", "%(count)d payouts", batch.payout_count) % {"count": batch.payout_count}
    messages.success(request, _("Batch %(number)s made: %(payouts)s, %(total)s. Download its file, pay it, then mark it sent.") % {"number": batch.pk, "payouts": payouts, "total": batch.total})
    return redirect("payouts:batch_detail", pk=batch.pk)


def _batch(request, pk) -> PayoutBatch:
    return get_for_org_or_404(PayoutBatch.objects.select_related("organization"), request, pk=pk)


@payer_required
def payout_batch_detail(request, pk):
    batch = _batch(request, pk)
    charities = list(files.charity_names(batch)) if batch.method == "charity" else []
    return list_page(
        request, "payouts/batch_detail.html", PayoutTable, PayoutFilterSet, selectors.batch_payouts(batch=batch),
        context={"batch": batch, "charities": charities, "failed_form": PayoutFailedForm()},
    )


@payer_required
def payout_batch_download(request, pk, index=1):
    batch = _batch(request, pk)
    try:
        made = files.batch_files(batch)
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("payouts:batch_detail", pk=batch.pk)
    if not 1 <= index <= len(made):
        raise Http404(_("No such file in this batch."))
    name, content_type, content = made[index - 1]
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "no-store"  # it holds account numbers
    return response


@payer_required
@require_POST
def payout_batch_mark_sent(request, pk):
    batch = _batch(request, pk)
    if services.payout_batch_mark_sent(batch=batch, actor=request.user):
        messages.success(request, _("Batch %(number)s marked sent: its payouts are paid out.") % {"number": batch.pk})
    else:
        messages.info(request, _("Batch %(number)s was marked sent already; nothing was paid twice.") % {"number": batch.pk})
    return redirect("payouts:batch_detail", pk=batch.pk)


@payer_required
@require_POST
def payout_mark_failed(request, pk):
    payout = get_for_org_or_404(Payout.objects.select_related("incentive__participant"), request, pk=pk)
    form = PayoutFailedForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(form.errors["reason"]))
    else:
        try:
            done = services.payout_mark_failed(payout=payout, reason=form.cleaned_data["reason"], actor=request.user)
        except DomainError as error:
            messages.error(request, error.message)
        else:
            name = payout.incentive.participant.name
            payout.refresh_from_db(fields=["status"])
            marked = "returned" if payout.status == Payout.Status.RETURNED else "failed"
            if done:
                messages.success(request, (
                    _("Payout %(number)s marked returned; %(name)s is asked by email to check their details.") if marked == "returned"
                    else _("Payout %(number)s marked failed; %(name)s is asked by email to check their details.")
                ) % {"number": payout.pk, "name": name})
            else:
                messages.info(request, (
                    _("Payout %(number)s had been marked returned already.") if marked == "returned"
                    else _("Payout %(number)s had been marked failed already.")
                ) % {"number": payout.pk})
    return redirect("payouts:batch_detail", pk=payout.batch_id)
