from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from approvals.models import Approval
from approvals.selectors import approval_list_for
from core.errors import DomainError
from core.lists import list_page
from core.once import once
from core.csv import csv_response
from tenancy.access import get_for_org_or_404, organization_required, require_writer

from . import selectors, services
from .services import bulk
from .filters import AdvocateFilterSet
from .forms import BulkApplyForm, BulkUploadForm, RedeemForm
from .models import Advocate, Reward
from .tables import AdvocateTable

BULK_RESULT_SESSION_KEY = "rewards_bulk_result"


@organization_required
def advocate_list(request):
    return list_page(
        request, "rewards/advocate_list.html", AdvocateTable, AdvocateFilterSet,
        selectors.advocate_list(organization=request.organization), per_page=25,
    )


@organization_required
def advocate_detail(request, pk):
    advocate = get_for_org_or_404(selectors.advocate_list(organization=request.organization), request, pk=pk)
    account = advocate.account
    now = timezone.now()
    rewards = list(selectors.account_rewards(account=account))
    for reward in rewards:
        refusal = services.cancel_refusal(reward, now=now)
        reward.cancellable, reward.cancel_refusal = refusal is None, refusal and refusal.message
        reward.cancel_deadline = services.cancel_deadline(reward)
    return render(
        request,
        "rewards/advocate_detail.html",
        {
            "advocate": advocate,
            "account": account,
            "balances": account.balances.all(),
            "others": Advocate.objects.for_org(request.organization).filter(account=account).exclude(pk=advocate.pk),
            "rewards": rewards,
        },
    )


def _reward_action(request, advocate_pk, reward_pk, act):
    """Run a row action on a reward of the advocate's account and come back to the profile."""
    require_writer(request)
    advocate = get_for_org_or_404(Advocate, request, pk=advocate_pk)
    reward = get_for_org_or_404(Reward.objects.select_related("advocate", "account"), request, pk=reward_pk, account=advocate.account_id)
    try:
        done = act(reward, services.Actor.web(request.user))
    except DomainError as error:
        messages.error(request, error.message)
    else:
        if done:
            messages.success(request, done)
    return redirect("rewards:advocate_detail", pk=advocate.pk)


@organization_required
@require_POST
def reward_redeem(request, advocate_pk, pk):
    def redeem(reward, actor):
        form = RedeemForm(request.POST, reward=reward)
        if not form.is_valid():
            messages.error(request, " ".join(error for errors in form.errors.values() for error in errors))
            return None
        with once(request) as first:
            if not first:
                return "This redemption was made already; it was not made twice."
            redemption = services.reward_redeem(reward=reward, amount=form.cleaned_data["amount"], note=form.cleaned_data["note"], actor=actor)
        return f"Redeemed {reward.money(redemption.amount_minor)}; {reward.money(redemption.reward.left_minor)} of this reward is left."

    return _reward_action(request, advocate_pk, pk, redeem)


def _state_action(service, done):
    """A row action that takes no input: the service changes the reward, `done` says what happened."""

    @organization_required
    @require_POST
    def view(request, advocate_pk, pk):
        return _reward_action(request, advocate_pk, pk, lambda reward, actor: done(service(reward=reward, actor=actor)))

    return view


reward_cancel = _state_action(
    services.reward_cancel, lambda reward: f"Cancelled the {reward.money(reward.amount_minor)} reward for {reward.source_event}."
)
reward_uncancel = _state_action(
    services.reward_uncancel, lambda reward: f"Restored the reward; it is {reward.get_status_display().lower()}."
)
reward_release = _state_action(
    services.reward_release, lambda reward: f"The {reward.money(reward.amount_minor)} reward is available now."
)


@organization_required
@require_POST
def advocate_w9(request, pk):
    require_writer(request)
    advocate = get_for_org_or_404(Advocate, request, pk=pk)
    released = services.advocate_mark_w9(advocate=advocate, actor=services.Actor.web(request.user))
    messages.success(request, f"W-9 marked as submitted for {advocate}; {len(released)} held reward(s) released.")
    return redirect("rewards:advocate_detail", pk=advocate.pk)


@organization_required
def bulk_redeem(request):
    """GET: the upload form. POST a file: the dry-run preview. POST the preview back: apply it."""
    require_writer(request)
    context = {"upload_form": BulkUploadForm(), "awaiting_approval": approval_list_for(organization=request.organization, kind=Approval.Kind.REWARDS_BULK)}
    if request.method == "POST":
        if "csv_text" in request.POST:
            return _bulk_apply(request)
        form = BulkUploadForm(request.POST, request.FILES)
        context["upload_form"] = form
        if form.is_valid():
            text = form.cleaned_data["file"]
            try:
                rows = bulk.bulk_preview(organization=request.organization, text=text)
            except bulk.BulkFileError as error:
                form.add_error("file", str(error))
                return render(request, "rewards/bulk_redeem.html", context, status=error.status)
            else:
                context.update(
                    rows=rows,
                    good=sum(row.ok for row in rows),
                    done=sum(row.applied_at is not None for row in rows),
                    apply_form=BulkApplyForm(initial={"csv_text": text}),
                )
        else:
            return render(request, "rewards/bulk_redeem.html", context, status=422)
    return render(request, "rewards/bulk_redeem.html", context)


def _bulk_apply(request):
    form = BulkApplyForm(request.POST)
    if not form.is_valid():
        messages.error(request, "The preview was incomplete; upload the file again.")
        return redirect("rewards:bulk_redeem")
    try:
        rows = bulk.bulk_apply(organization=request.organization, text=form.cleaned_data["csv_text"], user=request.user)
    except bulk.BulkFileError as error:
        messages.error(request, str(error))
        return redirect("rewards:bulk_redeem")
    request.session[BULK_RESULT_SESSION_KEY] = {"organization": request.organization.pk, "rows": [row.as_result() for row in rows]}
    applied = sum(row.result == "applied" for row in rows)
    awaiting = sum(row.result == bulk.AWAITING for row in rows)
    if awaiting:
        messages.success(request, f"{awaiting} of {len(rows)} rows: awaiting approval by another owner or admin. Nothing is redeemed until then.")
    else:
        messages.success(request, f"Applied {applied} of {len(rows)} rows.")
    return render(request, "rewards/bulk_redeem.html", {"rows": rows, "applied": True, "upload_form": BulkUploadForm(), "awaiting": awaiting})


@organization_required
def bulk_result_csv(request):
    result = request.session.get(BULK_RESULT_SESSION_KEY) or {}
    rows = result.get("rows") if result.get("organization") == request.organization.pk else None
    if not rows:
        messages.info(request, "There is no bulk redemption result to download yet.")
        return redirect("rewards:bulk_redeem")
    return csv_response(filename="bulk-redemption-result", header=bulk.RESULT_HEADER, rows=rows)
