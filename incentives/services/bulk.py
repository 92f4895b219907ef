"""Bulk cancel and resend over a selection of the Recipients table.

A selection is explicit ids, or "all matching this filter" minus the rows unticked. Either
way it is resolved on the server, inside the organization, re-running the filter, so a
request can only ever reach the organization's own incentives. Small selections run in the
request; larger ones become a background job (jobs/). Both call the same functions below,
which act row by row through the incentive services (each row its own transaction, or a
savepoint inside a job's chunk) and report what was done, skipped and why, and what failed.
"""

import datetime
from dataclasses import dataclass, field

from django.contrib.humanize.templatetags.humanize import intcomma
from django.db.models import Count, Sum
from django.http import QueryDict
from django.utils import timezone

from core.errors import DomainError
from core.money import Money
from jobs.models import BackgroundJob
from jobs.results import BulkResult
from jobs.services import job_start
from studies.models import Study
from tenancy.models import Membership

from ..filters import RecipientFilterSet
from ..models import Incentive
from . import IncentiveError, incentive_cancel, incentive_remind

Status = Incentive.Status
# Above this many rows an action runs as a background job with a progress bar.
BULK_JOB_THRESHOLD = 200
# A bulk action takes at most this many rows. A job keeps the ids it acts on (fixed when it
# starts, see BackgroundJob.ids), so this bounds that list (well under a megabyte) and the
# memory that resolves it; a larger set is done in parts, narrowed by the filters.
BULK_MAX_ROWS = 100_000
# A resend within this time of the last reminder is skipped: a double click emails once.
RESEND_PAUSE = datetime.timedelta(minutes=10)
SKIP_REASONS = {
    Status.CLAIMED: "claimed",
    Status.CANCELLED: "already cancelled",
    Status.EXPIRED: "expired",
    "not_owner": "in studies you don't own",
    "reminded": "reminded in the last 10 minutes",
}


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
            raise SelectionError("The filters are not valid; correct them and try again. Nothing was changed.")
        fixed = ("budget",) if selection.budget_id is not None else ()
        if not whole_table_allowed and not filterset.narrows(ignore=fixed):
            raise SelectionError(
                "Cancelling every incentive of the table at once is not allowed. "
                "Filter the table, or tick the incentives to cancel. Nothing was changed."
            )
        return filterset.qs.exclude(pk__in=selection.excluded)
    if not selection.ids:
        raise SelectionError("Tick at least one incentive first.")
    found = incentives.filter(pk__in=selection.ids)
    if found.count() != len(selection.ids):
        raise SelectionNotFound("Some of the chosen incentives are not in this table; nothing was changed.")
    return found


def _check_size(count: int) -> None:
    if count > BULK_MAX_ROWS:
        raise SelectionError(
            f"This selection holds {intcomma(count)} incentives; a bulk action takes at most "
            f"{intcomma(BULK_MAX_ROWS)} at a time. Narrow the filters (study, budget, sent date) "
            "and act in parts. Nothing was changed."
        )


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
        SKIP_REASONS[row["status"]]: row["n"]
        for row in queryset.exclude(status=Status.UNCLAIMED).values("status").annotate(n=Count("pk")).order_by("status")
    }
    if managed is not None:
        not_owned = cancellable.exclude(study_id__in=managed).count()
        if not_owned:
            skipped[SKIP_REASONS["not_owner"]] = not_owned
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


def _each_incentive(*, organization, ids, actor, result: BulkResult):
    """The organization's incentives among `ids` that the actor may change, in id order;
    the others are counted as skipped."""
    managed = managed_study_ids(organization=organization, actor=actor)
    incentives = (
        Incentive.objects.for_org(organization)
        .filter(pk__in=ids)
        .select_related("organization", "study", "participant")
        .order_by("pk")
    )
    for incentive in incentives:
        if managed is not None and incentive.study_id not in managed:
            result.skip(SKIP_REASONS["not_owner"])
        elif incentive.status != Status.UNCLAIMED:
            result.skip(SKIP_REASONS[incentive.status])
        else:
            yield incentive


def _act(result: BulkResult, incentive: Incentive, service, actor) -> None:
    """Run one incentive service on one row and count the outcome."""
    try:
        changed = service(incentive=incentive, actor=actor)
    except IncentiveError as error:  # claimed or expired in the meantime
        result.skip(SKIP_REASONS.get(error.code.removeprefix("already_"), error.message))
    except DomainError as error:
        result.fail(f"{incentive.participant.name}: {error.message}")
    else:
        if changed:
            result.done += 1
        else:
            result.skip(SKIP_REASONS[incentive.status])


def incentives_cancel_many(*, organization, ids, actor) -> BulkResult:
    """Cancel the unclaimed incentives among `ids`; their money returns to their budgets.
    Claimed, expired and already cancelled ones are skipped and counted, never cancelled."""
    result = BulkResult()
    for incentive in _each_incentive(organization=organization, ids=ids, actor=actor, result=result):
        _act(result, incentive, incentive_cancel, actor)
    return result


def incentives_resend_many(*, organization, ids, actor) -> BulkResult:
    """Email the unclaimed incentives among `ids` again, with their claim links."""
    result = BulkResult()
    recent = timezone.now() - RESEND_PAUSE
    for incentive in _each_incentive(organization=organization, ids=ids, actor=actor, result=result):
        if incentive.last_reminded_at and incentive.last_reminded_at > recent:
            result.skip(SKIP_REASONS["reminded"])
            continue
        _act(result, incentive, incentive_remind, actor)
    return result


ACTIONS = {"cancel": incentives_cancel_many, "resend": incentives_resend_many}


def incentives_bulk_run(*, organization, action: str, selection: Selection, actor, return_url: str = "") -> BulkResult | BackgroundJob:
    """Resolve the selection now and act on it: in this request when it is small, else as a
    background job (returned, for its progress page)."""
    queryset = selection_queryset(organization=organization, selection=selection, whole_table_allowed=action != "cancel")
    ids = list(queryset.order_by("pk").values_list("pk", flat=True)[: BULK_MAX_ROWS + 1])
    if not ids:
        raise SelectionError("No incentives match this selection; nothing was changed.")
    if len(ids) > BULK_MAX_ROWS:
        _check_size(queryset.count())
    if len(ids) > BULK_JOB_THRESHOLD:
        return job_start(organization=organization, kind=f"incentives_{action}", created_by=actor, ids=ids, return_url=return_url)
    return ACTIONS[action](organization=organization, ids=ids, actor=actor)
