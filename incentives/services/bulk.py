"""Bulk cancel and resend over a selection of the Recipients table, and large sends.

A selection is explicit ids, or "all matching this filter" minus the rows unticked. Either
way it is resolved on the server, inside the organization, re-running the filter, so a
request can only ever reach the organization's own incentives. Small selections run in the
request; larger ones become a background job (jobs/). Both call the same functions below,
one chunk of ids at a time, set-based: one permission look-up, one conditional UPDATE ...
RETURNING of the chunk's unclaimed incentives, one ledger release per budget, one UPDATE of
the participants, one INSERT of the emails, whatever the chunk's size; they report what was
done, skipped and why. A chunk is all or nothing, in its own transaction (or a savepoint
inside a job's chunk), and the locks it takes are held for milliseconds.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.humanize.templatetags.humanize import intcomma
from django.db import connection, transaction
from django.db.models import Count, Sum
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext as _, pgettext_lazy

from budgets.models import Budget
from budgets.services import budget_release
from core.db import retry_on_conflict
from core.errors import DomainError
from core.money import Money
from core.services import outbound_emails_queue
from jobs.models import BackgroundJob
from jobs.results import BulkResult
from jobs.services import job_start
from studies.models import Study, StudyParticipant
from tenancy.models import Membership
from webhooks.events import emit_many
from webhooks.payloads import incentive_data

from approvals.services import requires_approval

from ..filters import RecipientFilterSet
from ..models import Incentive
from . import IncentiveError, _send_checked, claim_email, incentives_pay_rows, incentives_send, study_lock

Status = Incentive.Status
# Above this many rows an action runs as a background job with a progress bar.
BULK_JOB_THRESHOLD = 200
# A bulk action takes at most this many rows. A job keeps the ids it acts on (fixed when it
# starts, see BackgroundJob.ids), so this bounds that list (well under a megabyte) and the
# memory that resolves it; a larger set is done in parts, narrowed by the filters.
BULK_MAX_ROWS = 100_000
# A resend within this time of the last reminder is skipped: a double click emails once.
RESEND_PAUSE = datetime.timedelta(minutes=10)
# "Skipped 3: 2 claimed, 1 expired": what each count is, in the words of the person acting.
SKIP_REASONS = {
    Status.AWAITING_APPROVAL: pgettext_lazy("skipped incentives", "awaiting approval"),
    Status.CLAIMED: pgettext_lazy("skipped incentives", "claimed"),
    Status.CANCELLED: pgettext_lazy("skipped incentives", "already cancelled"),
    Status.EXPIRED: pgettext_lazy("skipped incentives", "expired"),
    "not_owner": pgettext_lazy("skipped incentives", "in studies you don't own"),
    "reminded": pgettext_lazy("skipped incentives", "reminded in the last 10 minutes"),
    "sent": pgettext_lazy("skipped incentives", "sent already"),
    "not_done": pgettext_lazy("skipped incentives", "no longer in the Done group"),
    "gone": pgettext_lazy("skipped incentives", "no longer in the study"),
}


def _skip_reason(key) -> str:
    return str(SKIP_REASONS[key])


class SelectionError(DomainError):
    """A selection that can't be acted on; nothing was changed."""

    code = "invalid_selection"
    status = 422


class SelectionNotFound(SelectionError):
    """Ids that are not the organization's incentives: the request is refused whole."""

    code = "not_found"
    status = 404


@dataclass(frozen=True)
class Selection:
    ids: frozenset[int] = frozenset()
    all_matching: bool = False
    excluded: frozenset[int] = frozenset()
    filters: QueryDict = field(default_factory=QueryDict)
    budget_id: int | None = None  # a budget page's table: that budget's incentives only


def selection_queryset(*, organization, selection: Selection, whole_table_allowed: bool = True):
    """The selected incentives of the organization (the filter re-run for "all matching")."""
    incentives = Incentive.objects.for_org(organization)
    if selection.budget_id is not None:
        incentives = incentives.filter(budget_id=selection.budget_id)
    if selection.all_matching:
        filterset = RecipientFilterSet(selection.filters, queryset=incentives, organization=organization)
        if not filterset.is_valid():
            raise SelectionError(_("The filters are not valid; correct them and try again. Nothing was changed."))
        fixed = ("budget",) if selection.budget_id is not None else ()
        if not whole_table_allowed and not filterset.narrows(ignore=fixed):
            raise SelectionError(_(
                "Cancelling every incentive of the table at once is not allowed. "
                "Filter the table, or tick the incentives to cancel. Nothing was changed."
            ))
        return filterset.qs.exclude(pk__in=selection.excluded)
    if not selection.ids:
        raise SelectionError(_("Tick at least one incentive first."))
    found = incentives.filter(pk__in=selection.ids)
    if found.count() != len(selection.ids):
        raise SelectionNotFound(_("Some of the chosen incentives are not in this table; nothing was changed."))
    return found


def _check_size(count: int) -> None:
    if count > BULK_MAX_ROWS:
        raise SelectionError(_(
            "This selection holds %(count)s incentives; a bulk action takes at most "
            "%(max)s at a time. Narrow the filters (study, budget, sent date) "
            "and act in parts. Nothing was changed."
        ) % {"count": intcomma(count), "max": intcomma(BULK_MAX_ROWS)})


def managed_study_ids(*, organization, actor) -> set[int] | None:
    """The studies whose incentives the actor may change; None for all of them (owners,
    admins, the system). The services check each row again."""
    if actor is None:
        return None
    role = Membership.objects.filter(user=actor, organization=organization).values_list("role", flat=True).first()
    if role in Membership.MANAGERS:
        return None
    return set(Study.objects.for_org(organization).filter(owners=actor).values_list("pk", flat=True))


@dataclass
class CancelPreview:
    """What a cancel would do: per budget, how many and how much goes back; what is skipped."""

    count: int
    returns: list[tuple[str, Money, int]]  # (budget name, amount returned, how many)
    skipped: dict[str, int]

    @property
    def skipped_count(self) -> int:
        return sum(self.skipped.values())


def cancel_preview(*, organization, queryset, actor) -> CancelPreview:
    managed = managed_study_ids(organization=organization, actor=actor)
    cancellable = queryset.filter(status=Status.UNCLAIMED)
    skipped = {
        _skip_reason(row["status"]): row["n"]
        for row in queryset.exclude(status=Status.UNCLAIMED).values("status").annotate(n=Count("pk")).order_by("status")
    }
    if managed is not None:
        not_owned = cancellable.exclude(study_id__in=managed).count()
        if not_owned:
            skipped[_skip_reason("not_owner")] = not_owned
        cancellable = cancellable.filter(study_id__in=managed)
    totals = (
        cancellable.values("budget_id", "budget__name", "currency")
        .annotate(n=Count("pk"), total=Sum("amount_minor"))
        .order_by("budget__name")
    )
    returns = [(row["budget__name"], Money(row["total"], row["currency"]), row["n"]) for row in totals]
    preview = CancelPreview(count=sum(n for _, _, n in returns), returns=returns, skipped=skipped)
    _check_size(preview.count + preview.skipped_count)
    return preview


def _update_returning(*, organization, ids, managed, assignments: str, params: list, extra_where: str = "", extra_params=()) -> list[tuple]:
    """One conditional UPDATE of the chunk's unclaimed incentives the actor may change:
    `assignments` (SQL) on them; returns (id, budget_id, amount_minor, study_id,
    participant_id) of each row it changed, in id order."""
    where = ["organization_id = %s", "id = ANY(%s)", "status = %s"]
    params = [*params, organization.pk, list(ids), Status.UNCLAIMED]
    if managed is not None:
        where.append("study_id = ANY(%s)")
        params.append(list(managed))
    if extra_where:
        where.append(extra_where)
        params.extend(extra_params)
    sql = (
        f"UPDATE {Incentive._meta.db_table} SET {assignments} WHERE {' AND '.join(where)} "
        "RETURNING id, budget_id, amount_minor, study_id, participant_id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return sorted(cursor.fetchall())


def _count_skipped(result: BulkResult, *, organization, ids, changed: set[int], managed, recent=None) -> None:
    """Why each incentive of the chunk that was not changed was left (one query, only when
    some were left): not the actor's study, not unclaimed, or (resend) reminded just now."""
    left = set(ids) - changed
    if not left:
        return
    for status, study_id in Incentive.objects.for_org(organization).filter(pk__in=left).values_list("status", "study_id"):
        if managed is not None and study_id not in managed:
            result.skip(_skip_reason("not_owner"))
        elif status != Status.UNCLAIMED:
            result.skip(_skip_reason(status))
        elif recent is not None:
            result.skip(_skip_reason("reminded"))


EXPIRY_CHUNK = 1_000


def _release_many(*, organization, ids, actor, to_status: str, memo: str) -> tuple[list[tuple], set | None]:
    """Unclaimed -> cancelled or expired for the chunk's incentives the actor may change, by one
    conditional UPDATE; their participants back in the Done group; their money back to their
    budgets in one release per budget (budgets in id order); one webhook event each. Returns
    the rows changed and the actor's studies (None: all)."""
    managed = managed_study_ids(organization=organization, actor=actor)
    now = timezone.now()
    stamp = {Status.CANCELLED: "cancelled_at", Status.EXPIRED: "expired_at"}[to_status]
    rows = _update_returning(
        organization=organization, ids=ids, managed=managed,
        assignments=f"status = %s, {stamp} = %s", params=[to_status, now],
    )
    if not rows:
        return rows, managed
    by_budget = defaultdict(list)
    for pk, budget_id, amount_minor, _study, _participant in rows:
        by_budget[budget_id].append((pk, amount_minor))
    # Participants before ledger accounts: the lock order of every service that pays from a
    # study (incentives.services.studies).
    _back_in_done_group(organization=organization, rows=rows, now=now)
    budgets = Budget.objects.for_org(organization).with_accounts().select_related("organization").in_bulk(by_budget)
    # Budgets in id order, so two chunks over the same budgets take their account locks alike.
    for budget_id in sorted(by_budget):
        cancelled = by_budget[budget_id]
        budget = budgets[budget_id]
        release = budget_release(
            budget=budget,
            amount=budget.money(sum(amount for _, amount in cancelled)),
            actor=actor,
            reference=f"incentive:{cancelled[0][0]}" if len(cancelled) == 1 else "incentives:bulk",
            memo=memo.format(n=len(cancelled), s="s" if len(cancelled) != 1 else ""),
        )
        Incentive.objects.filter(pk__in=[pk for pk, _ in cancelled]).update(release_transaction=release)
    emit_many(organization, f"incentive.{to_status}", _payloads([row[0] for row in rows]))
    return rows, managed


@retry_on_conflict
@transaction.atomic
def incentives_cancel_many(*, organization, ids, actor) -> BulkResult:
    """Cancel the unclaimed incentives among `ids`; their money returns to their budgets, in
    one release per budget. Claimed, expired and already cancelled ones are skipped and
    counted, never cancelled; a claim racing the cancel has one winner (the conditional
    UPDATE), and cancelling again does nothing more."""
    result = BulkResult()
    rows, managed = _release_many(
        organization=organization, ids=ids, actor=actor, to_status=Status.CANCELLED, memo="Cancelled {n} incentive{s}"
    )
    _count_skipped(result, organization=organization, ids=ids, changed={row[0] for row in rows}, managed=managed)
    result.done = len(rows)
    return result


@transaction.atomic
def incentives_expire_many(*, organization, ids, actor=None, reason: str) -> int:
    """Expire the unclaimed incentives among `ids` (the organization's period passed, or their
    study closed), set-based like a bulk cancel; their links then say they expired. A claim
    racing it has one winner; returns how many expired."""
    rows, _ = _release_many(
        organization=organization, ids=ids, actor=actor, to_status=Status.EXPIRED, memo=f"Expired {{n}} incentive{{s}}: {reason}"
    )
    return len(rows)


def incentives_expire_for_study(*, study: Study, actor) -> int:
    """Expire the study's unclaimed incentives (it closed, and claims after closing are not
    allowed), inside the close's transaction, chunk by chunk; returns how many expired."""
    ids = list(Incentive.objects.for_org(study.organization).unclaimed().filter(study=study).order_by("pk").values_list("pk", flat=True))
    return sum(
        incentives_expire_many(organization=study.organization, ids=ids[i : i + EXPIRY_CHUNK], actor=actor, reason="the study closed")
        for i in range(0, len(ids), EXPIRY_CHUNK)
    )


def _payloads(ids):
    """Webhook payloads of these incentives, read only if emit_many asks (an endpoint subscribes)."""
    yield from map(incentive_data, Incentive.objects.filter(pk__in=ids).select_related("participant").order_by("pk"))


def _back_in_done_group(*, organization, rows, now) -> None:
    """The cancelled incentives' participants are back in the Done group of their study (one
    UPDATE), so they can be paid again if need be."""
    table = StudyParticipant._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} AS sp SET status = %s, updated_at = %s "
            "FROM unnest(%s::bigint[], %s::bigint[]) AS cancelled (study_id, participant_id) "
            "WHERE sp.organization_id = %s AND sp.study_id = cancelled.study_id "
            "AND sp.participant_id = cancelled.participant_id AND sp.status = %s",
            [
                StudyParticipant.Status.INCENTIVE_NOT_SENT, now,
                [row[3] for row in rows], [row[4] for row in rows],
                organization.pk, StudyParticipant.Status.INCENTIVE_SENT,
            ],
        )


@retry_on_conflict
@transaction.atomic
def incentives_resend_many(*, organization, ids, actor) -> BulkResult:
    """Email the unclaimed incentives among `ids` again, with their claim links, and count the
    reminder; one reminded in the last RESEND_PAUSE is skipped (a double click emails once)."""
    result = BulkResult()
    managed = managed_study_ids(organization=organization, actor=actor)
    now = timezone.now()
    recent = now - RESEND_PAUSE
    rows = _update_returning(
        organization=organization, ids=ids, managed=managed,
        assignments="reminder_count = reminder_count + 1, last_reminded_at = %s", params=[now],
        extra_where="(last_reminded_at IS NULL OR last_reminded_at <= %s)", extra_params=[recent],
    )
    changed = {row[0] for row in rows}
    _count_skipped(result, organization=organization, ids=ids, changed=changed, managed=managed, recent=recent)
    if rows:
        incentives = Incentive.objects.filter(pk__in=changed).select_related("organization", "participant").order_by("pk")
        outbound_emails_queue([claim_email(incentive=incentive, reminder=True) for incentive in incentives])
    result.done = len(rows)
    return result


ACTIONS = {"cancel": incentives_cancel_many, "resend": incentives_resend_many}


def incentives_bulk_run(*, organization, action: str, selection: Selection, actor, return_url: str = "") -> BulkResult | BackgroundJob:
    """Resolve the selection now and act on it: in this request when it is small, else as a
    background job (returned, for its progress page)."""
    queryset = selection_queryset(organization=organization, selection=selection, whole_table_allowed=action != "cancel")
    ids = list(queryset.order_by("pk").values_list("pk", flat=True)[: BULK_MAX_ROWS + 1])
    if not ids:
        raise SelectionError(_("No incentives match this selection; nothing was changed."))
    if len(ids) > BULK_MAX_ROWS:
        _check_size(queryset.count())
    if len(ids) > BULK_JOB_THRESHOLD:
        return job_start(organization=organization, kind=f"incentives_{action}", created_by=actor, ids=ids, return_url=return_url)
    return ACTIONS[action](organization=organization, ids=ids, actor=actor)


def send_runs_in_background(*, study: Study, count: int, amount: Money) -> bool:
    """Whether a send to `count` participants becomes a background job (incentives_send_run)."""
    return count > settings.INCENTIVE_SEND_JOB_ABOVE and not requires_approval(
        organization=study.organization, total=amount * count, per_participant=amount
    )


def incentives_send_run(
    *, study: Study, participant_ids, amount: Money, subject: str, message: str, actor, return_url: str = ""
) -> list[Incentive] | BackgroundJob:
    """Send in this request (incentives_send) up to settings.INCENTIVE_SEND_JOB_ABOVE
    participants, or a send that must wait for approval (one request, one reservation);
    a larger send becomes a background job, started after the same checks and the budget's
    cover of the whole total, that reserves and pays chunk by chunk (incentives_send_many)."""
    participant_ids = sorted({int(pk) for pk in participant_ids})
    if not send_runs_in_background(study=study, count=len(participant_ids), amount=amount):
        return incentives_send(study=study, participant_ids=participant_ids, amount=amount, subject=subject, message=message, actor=actor)
    subject = _send_checked(study=study, amount=amount, subject=subject, actor=actor)
    budget = Budget.objects.with_accounts().get(pk=study.budget_id)
    total = amount * len(participant_ids)
    if total.amount_minor > budget.available_minor:
        raise IncentiveError(
            _("%(budget)s has %(available)s available; this send needs %(total)s.") % {
                "budget": budget.name, "available": budget.money(budget.available_minor), "total": total}, "insufficient_funds"
        )
    return job_start(
        organization=study.organization, kind="incentives_send", created_by=actor, ids=participant_ids, return_url=return_url,
        params={"study_id": study.pk, "amount_minor": amount.amount_minor, "subject": subject, "message": message},
    )


@retry_on_conflict
@transaction.atomic
def incentives_send_many(*, organization, ids, actor, study_id: int, amount_minor: int, subject: str, message: str) -> BulkResult:
    """One chunk of a background send: the chunk's participants still in the Done group are
    paid (their total reserved in one step, as incentives_send does); those sent already (a
    double click's second job, a task run again) or moved out of the group are skipped and
    counted. A study closed meanwhile, or a budget that can't cover the chunk, stops the job
    with that message; the chunks before stay sent."""
    study = study_lock(Study.objects.for_org(organization).get(pk=study_id))
    amount = Money(amount_minor, study.currency)
    subject = _send_checked(study=study, amount=amount, subject=subject, actor=actor)
    rows = list(
        StudyParticipant.objects.for_org(organization)
        .filter(study=study, participant_id__in=ids)
        .select_related("participant")
        .select_for_update(of=("self",))
        .order_by("pk")
    )
    result = BulkResult()
    for _ in range(len(set(ids)) - len(rows)):
        result.skip(_skip_reason("gone"))
    payable = []
    for row in rows:
        if row.status == StudyParticipant.Status.INCENTIVE_SENT:
            result.skip(_skip_reason("sent"))
        elif not row.is_done:
            result.skip(_skip_reason("not_done"))
        else:
            payable.append(row)
    if payable:
        incentives_pay_rows(study=study, rows=payable, amount=amount, subject=subject, message=message, actor=actor, approvals=False)
    result.done = len(payable)
    return result
