from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from django.contrib import messages
from django.db.models import Count
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _, ngettext
from django.views.decorators.http import require_POST

from approvals.models import Approval
from approvals.selectors import approval_list_for
from core.errors import DomainError
from core.lists import list_page
from core.once import once
from core.csv import csv_response
from core.money import Money, decimals
from core.tax import tax_threshold
from tenancy.access import get_for_org_or_404, organization_required, require_manager, require_writer

from . import selectors, services
from .services import bulk, programs
from .filters import AdvocateFilterSet
from .forms import BulkApplyForm, BulkUploadForm, GiveRewardForm, ProgramForm, RedeemForm
from .models import Advocate, Reward, RewardProgram
from .tables import AdvocateTable

BULK_RESULT_SESSION_KEY = "rewards_bulk_result"


@organization_required
def advocate_list(request):
    return list_page(
        request, "rewards/advocate_list.html", AdvocateTable, AdvocateFilterSet,
        selectors.advocate_list(organization=request.organization), per_page=25,
    )


def _figures(balances, rewards) -> list[dict]:
    """Per currency the five figures of the account: available, pending and redeemed (its
    ledger accounts), cancelled and expired (what left the account that way)."""
    left_out = defaultdict(lambda: {"cancelled": 0, "expired": 0})
    for reward in rewards:
        if reward.status == Reward.Status.CANCELLED:
            left_out[reward.currency]["cancelled"] += reward.amount_minor
        elif reward.status == Reward.Status.EXPIRED:
            left_out[reward.currency]["expired"] += reward.left_minor
    return [
        {
            "currency": balance.currency,
            "available": balance.available,
            "pending": balance.pending,
            "redeemed": balance.redeemed,
            "reserved": balance.reserved,
            "cancelled": Money(left_out[balance.currency]["cancelled"], balance.currency),
            "expired": Money(left_out[balance.currency]["expired"], balance.currency),
        }
        for balance in balances
    ]


@organization_required
def advocate_detail(request, pk):
    advocate = get_for_org_or_404(selectors.advocate_list(organization=request.organization), request, pk=pk)
    account = advocate.account
    account.organization = advocate.organization = request.organization  # the same one (scoped): not read again
    now = timezone.now()
    rewards = list(selectors.account_rewards(account=account))
    for reward in rewards:
        refusal = services.cancel_refusal(reward, now=now)
        reward.cancellable, reward.cancel_refusal = refusal is None, refusal and refusal.message
        reward.cancel_deadline = services.cancel_deadline(reward)
        reward.decimals = decimals(reward.currency)
    return render(
        request,
        "rewards/advocate_detail.html",
        {
            "advocate": advocate,
            "account": account,
            "figures": _figures(account.balances.all(), rewards),
            "others": Advocate.objects.for_org(request.organization).filter(account=account).exclude(pk=advocate.pk),
            "rewards": rewards,
            "year": services.advocate_year_progress(advocate=advocate, now=now),
            "w9_events": selectors.advocate_events(advocate=advocate),
            "time_zone": timezone.get_current_timezone_name(),
            "now": now,
            "give_form": GiveRewardForm(account=account, advocate=advocate) if request.membership.can_write else None,
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
                return _("This redemption was made already; it was not made twice.")
            redemption = services.reward_redeem(reward=reward, amount=form.cleaned_data["amount"], note=form.cleaned_data["note"], actor=actor)
        return _("Redeemed %(amount)s; %(left)s of this reward is left.") % {
            "amount": reward.money(redemption.amount_minor), "left": reward.money(redemption.reward.left_minor),
        }

    return _reward_action(request, advocate_pk, pk, redeem)


def _state_action(service, done):
    """A row action that takes no input: the service changes the reward, `done` says what happened."""

    @organization_required
    @require_POST
    def view(request, advocate_pk, pk):
        return _reward_action(request, advocate_pk, pk, lambda reward, actor: done(service(reward=reward, actor=actor)))

    return view


reward_cancel = _state_action(
    services.reward_cancel, lambda reward: _("Cancelled the %(amount)s reward for %(event)s.") % {"amount": reward.money(reward.amount_minor), "event": reward.source_event}
)
reward_uncancel = _state_action(
    services.reward_uncancel, lambda reward: _("Restored the reward; it is %(status)s.") % {"status": reward.get_status_display().lower()}
)
reward_release = _state_action(
    services.reward_release, lambda reward: _("The %(amount)s reward is available now.") % {"amount": reward.money(reward.amount_minor)}
)


@organization_required
@require_POST
def advocate_w9(request, pk):
    require_writer(request)
    advocate = get_for_org_or_404(Advocate, request, pk=pk)
    released = services.advocate_mark_w9(advocate=advocate, actor=services.Actor.web(request.user))
    waiting = list(
        Reward.objects.for_org(request.organization)
        .filter(advocate=advocate, status=Reward.Status.PENDING, pending_reason=Reward.PendingReason.SCHEDULED, w9_required=True)
        .order_by("available_at")
    )
    text = ngettext(
        "W-9 marked as submitted for %(name)s; %(n)s held reward released.",
        "W-9 marked as submitted for %(name)s; %(n)s held rewards released.",
        len(released),
    ) % {"name": advocate, "n": len(released)}
    if waiting:
        until = timezone.localtime(waiting[-1].available_at)
        text += " " + ngettext(
            "%(n)s more stays pending until its pending period ends (%(until)s).",
            "%(n)s more stay pending until their pending periods end (the last on %(until)s).",
            len(waiting),
        ) % {"n": len(waiting), "until": f"{until:%Y-%m-%d %H:%M %Z}"}
    messages.success(request, text)
    return redirect("rewards:advocate_detail", pk=advocate.pk)


@organization_required
@require_POST
def advocate_w9_undo(request, pk):
    require_writer(request)
    advocate = get_for_org_or_404(Advocate, request, pk=pk)
    held = services.advocate_unmark_w9(advocate=advocate, actor=services.Actor.web(request.user))
    messages.success(
        request,
        ngettext(
            "The W-9 mark of %(name)s is undone; %(n)s reward waits for the W-9 again.",
            "The W-9 mark of %(name)s is undone; %(n)s rewards wait for the W-9 again.",
            len(held),
        ) % {"name": advocate, "n": len(held)},
    )
    return redirect("rewards:advocate_detail", pk=advocate.pk)


@dataclass(frozen=True)
class BulkKind:
    """One kind of bulk file page: redemptions or new rewards."""

    url_name: str
    template: str
    preview: Callable
    apply: Callable
    session_key: str
    result_header: list
    result_name: str
    approval_kind: str


REDEMPTIONS = BulkKind("rewards:bulk_redeem", "rewards/bulk_redeem.html", bulk.bulk_preview, bulk.bulk_apply,
                       BULK_RESULT_SESSION_KEY, bulk.RESULT_HEADER, "bulk-redemption-result", Approval.Kind.REWARDS_BULK)
NEW_REWARDS = BulkKind("rewards:bulk_rewards", "rewards/bulk_rewards.html", bulk.bulk_rewards_preview, bulk.bulk_rewards_apply,
                       "rewards_bulk_create_result", bulk.REWARD_RESULT_HEADER, "bulk-rewards-result", Approval.Kind.REWARDS_BULK_CREATE)


def _bulk_page(request, kind: BulkKind):
    """GET: the upload form. POST a file: the dry-run preview. POST the preview back: apply it."""
    require_writer(request)
    context = {"upload_form": BulkUploadForm(), "awaiting_approval": approval_list_for(organization=request.organization, kind=kind.approval_kind)}
    if request.method == "POST":
        if "csv_text" in request.POST:
            return _bulk_apply(request, kind)
        form = BulkUploadForm(request.POST, request.FILES)
        context["upload_form"] = form
        if form.is_valid():
            text = form.cleaned_data["file"]
            try:
                rows = kind.preview(organization=request.organization, text=text)
            except bulk.BulkFileError as error:
                form.add_error("file", str(error))
                return render(request, kind.template, context, status=error.status)
            else:
                context.update(rows=rows, apply_form=BulkApplyForm(initial={"csv_text": text}), **bulk.bulk_summary(rows))
        else:
            return render(request, kind.template, context, status=422)
    return render(request, kind.template, context)


@organization_required
def bulk_redeem(request):
    return _bulk_page(request, REDEMPTIONS)


@organization_required
def bulk_rewards(request):
    return _bulk_page(request, NEW_REWARDS)


def _bulk_apply(request, kind: BulkKind):
    form = BulkApplyForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("The preview was incomplete; upload the file again."))
        return redirect(kind.url_name)
    try:
        rows = kind.apply(
            organization=request.organization, text=form.cleaned_data["csv_text"], user=request.user,
            confirmed_duplicates=set(form.cleaned_data["confirm_duplicate"]),
        )
    except bulk.BulkFileError as error:
        messages.error(request, str(error))
        return redirect(kind.url_name)
    request.session[kind.session_key] = {"organization": request.organization.pk, "rows": [row.as_result() for row in rows]}
    _bulk_outcome_message(request, rows)
    awaiting = sum(row.result == bulk.AWAITING for row in rows)
    return render(request, kind.template, {"rows": rows, "applied": True, "upload_form": BulkUploadForm(), "awaiting": awaiting})


def _bulk_outcome_message(request, rows, shown=3):
    """Green only when every row was applied; otherwise a warning that names what wasn't."""
    applied = sum(row.result == "applied" for row in rows)
    awaiting = sum(row.result == bulk.AWAITING for row in rows)
    if awaiting:
        messages.success(request, _("%(awaiting)s of %(total)s rows: awaiting approval by another owner or admin. Nothing is applied until then.") % {"awaiting": awaiting, "total": len(rows)})
        return
    text = _("Applied %(applied)s of %(total)s rows.") % {"applied": applied, "total": len(rows)}
    missed = [row for row in rows if row.result != "applied"]
    if not missed:
        messages.success(request, text)
        return
    reasons = [_("line %(line)s: %(why)s") % {"line": row.line, "why": (row.message or _("not applied")).rstrip(".")} for row in missed[:shown]]
    more = len(missed) - shown
    tail = (" " + ngettext("And %(n)s more row, in the table below.", "And %(n)s more rows, in the table below.", more) % {"n": more}) if more > 0 else ""
    messages.warning(request, _("%(applied)s Not applied: %(reasons)s.%(more)s") % {"applied": text, "reasons": "; ".join(reasons), "more": tail})


def _bulk_result_csv(request, kind: BulkKind):
    result = request.session.get(kind.session_key) or {}
    rows = result.get("rows") if result.get("organization") == request.organization.pk else None
    if not rows:
        messages.info(request, _("There is no result to download yet."))
        return redirect(kind.url_name)
    return csv_response(filename=kind.result_name, header=kind.result_header, rows=rows)


@organization_required
def bulk_result_csv(request):
    return _bulk_result_csv(request, REDEMPTIONS)


@organization_required
def bulk_rewards_result_csv(request):
    return _bulk_result_csv(request, NEW_REWARDS)


# Reward programs: owners and admins configure them; every member reads them.


@organization_required
def program_list(request):
    form = None
    if request.method == "POST":
        require_manager(request)
        form = ProgramForm(request.POST)
        if form.is_valid():
            try:
                program = programs.program_create(organization=request.organization, **form.values())
            except DomainError as error:
                form.add_error(None, error.message)
            else:
                messages.success(request, _("Program “%(name)s” created.") % {"name": program})
                return redirect("rewards:program_list")
    return render(
        request,
        "rewards/program_list.html",
        {
            "programs": selectors.program_list(organization=request.organization).annotate(reward_count=Count("rewards")),
            "archived": selectors.program_list(organization=request.organization, archived=True),
            "form": form or ProgramForm(),
        },
        status=422 if form is not None else 200,
    )


@organization_required
def program_edit(request, pk):
    require_manager(request)
    program = get_for_org_or_404(RewardProgram, request, pk=pk)
    form = ProgramForm.for_program(program, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            programs.program_update(program=program, **form.values())
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Program “%(name)s” saved; rewards it gave keep their terms.") % {"name": program})
            return redirect("rewards:program_list")
    return render(request, "rewards/program_edit.html", {"program": program, "form": form}, status=422 if form.is_bound else 200)


@organization_required
@require_POST
def program_archive(request, pk):
    require_manager(request)
    program = get_for_org_or_404(RewardProgram, request, pk=pk)
    archived = request.POST.get("restore") != "1"
    programs.program_archive(program=program, archived=archived)
    text = _("Program “%(name)s” archived; it gives no new rewards.") if archived else _("Program “%(name)s” restored.")
    messages.success(request, text % {"name": program})
    return redirect("rewards:program_list")


@organization_required
@require_POST
def reward_give(request, pk):
    """Give a reward to the advocate's account from a program (the profile's "Give reward")."""
    require_writer(request)
    advocate = get_for_org_or_404(Advocate.objects.select_related("account"), request, pk=pk)
    form = GiveRewardForm(request.POST, account=advocate.account, advocate=advocate)
    if not form.is_valid():
        messages.error(request, " ".join(error for errors in form.errors.values() for error in errors))
        return redirect("rewards:advocate_detail", pk=advocate.pk)
    data = form.cleaned_data
    try:
        with once(request) as first:
            if not first:
                messages.info(request, _("This reward was given already; it was not given twice."))
                return redirect("rewards:advocate_detail", pk=advocate.pk)
            reward = services.reward_create(
                account=advocate.account, amount=data["money"], program=data["program"], advocate=data["advocate"],
                source_event=data["source_event"], event_at=data["event_at"], actor=services.Actor.web(request.user),
            )
    except DomainError as error:
        messages.error(request, error.message)
    else:
        if reward.pending_reason == Reward.PendingReason.W9_REQUIRED:
            state = _("it waits for their W-9 (their rewards this year are above the tax threshold)")
        elif reward.pending_reason == Reward.PendingReason.SCHEDULED:
            state = _("it is pending until %(until)s") % {"until": f"{timezone.localtime(reward.available_at):%Y-%m-%d %H:%M %Z}"}
        else:
            state = _("it is available")
        messages.success(request, _("Gave %(amount)s to %(name)s (%(program)s); %(state)s.") % {
            "amount": reward.money(reward.amount_minor), "name": data["advocate"], "program": data["program"], "state": state,
        })
    return redirect("rewards:advocate_detail", pk=advocate.pk)


TAX_HEADER = ["name", "email", "account", "year", "rewards_given", "currency", "above_threshold", "w9_submitted"]


@organization_required
def advocate_tax_csv(request):
    """Per advocate, the rewards given in a calendar year (the 1099 worksheet of account rewards)."""
    require_manager(request)
    organization = request.organization
    this_year = selectors.current_year(organization)
    text = request.GET.get("year", "")
    year = int(text) if text.isdigit() and 2000 <= int(text) <= 2100 else this_year
    totals = selectors.advocate_year_totals(organization=organization, year=year)
    threshold = tax_threshold(organization=organization, year=year)
    advocates = Advocate.objects.for_org(organization).filter(pk__in=totals).select_related("account").order_by("name", "pk")
    rows = (
        [
            advocate.name, advocate.email, advocate.account.name, year, Money(totals[advocate.pk], threshold.currency).plain(),
            threshold.currency, "yes" if totals[advocate.pk] > threshold.amount_minor else "no",
            timezone.localtime(advocate.w9_submitted_at).date().isoformat() if advocate.w9_submitted_at else "",
        ]
        for advocate in advocates
    )
    return csv_response(filename=f"reward-tax-totals-{year}", header=TAX_HEADER, rows=rows)
