"""Every payout state change (docs/payouts.md). Each is one transaction and idempotent: a
payout sits in one batch only, a batch is marked sent once, a payout fails once, and the
ledger moves with the state in the same transaction.

Lock order: batch, then its payouts, then their incentives, then ledger accounts (ledger_post
takes those in id order).
"""

import datetime
from collections import defaultdict

from django.db import IntegrityError, transaction
from django.db.models import DurationField, ExpressionWrapper, F
from django.utils import timezone
from django.utils.translation import gettext as _, ngettext

from budgets.models import Budget
from budgets.services import budget_payout_abandoned, budget_payout_returned, budget_payout_sent
from core.broker import enqueue_on_commit
from core.db import retry_on_conflict
from core.errors import DomainError, InvalidInput
from core.money import Money
from core.services import outbound_emails_queue
from incentives.models import Incentive, PayoutStatus
from incentives.services import payout_returned_email
from tenancy.models import Organization
from webhooks.events import emit, emit_many
from webhooks.payloads import incentive_data

from .models import Payout, PayoutBatch
from .providers import PayoutResult, provider_for

Method = Organization.PayoutMethod
DAY = datetime.timedelta(days=1)


class PayoutError(DomainError):
    code = "payout_error"


def _label(method: str, currency: str) -> str:
    return _("%(method)s in %(currency)s") % {"method": str(Method(method).label).lower(), "currency": currency}


def _budgets(budget_ids) -> dict[int, Budget]:
    return Budget.objects.with_accounts().select_related("organization").in_bulk(sorted(set(budget_ids)))


def _move_per_budget(*, incentives, move, actor, reference: str, memo: str) -> None:
    """One ledger transaction per budget for these incentives' amounts (set-based)."""
    totals = defaultdict(int)
    for incentive in incentives:
        totals[incentive.budget_id] += incentive.amount_minor
    budgets = _budgets(totals)
    for budget_id in sorted(totals):
        budget = budgets[budget_id]
        move(budget=budget, amount=Money(totals[budget_id], budget.currency), actor=actor, reference=reference, memo=memo)


@retry_on_conflict
@transaction.atomic
def payout_batch_create(*, organization: Organization, method: str, currency: str, actor) -> PayoutBatch:
    """Gather everything owed by one method in one currency into a new batch; each incentive
    goes into one batch only. The provider is handed the batch once it commits."""
    if method not in Method.values:
        raise InvalidInput(_("Choose a payout method."), "invalid_payout_method")
    label = _label(method, currency)
    if method == Method.BANK_TRANSFER and currency == "EUR" and not organization.sepa_debtor_iban:
        raise PayoutError(
            _(
                "Euro bank transfers are paid with a SEPA file from your organization's account: "
                "set its holder, IBAN and BIC in Settings first."
            ), "no_debtor_account",
        )
    owed = list(
        Incentive.objects.for_org(organization)
        # An incentive held for a W-9 (above the yearly tax threshold) waits for it (docs/tax.md).
        .filter(payout_status=PayoutStatus.OWED, payout_method=method, currency=currency, w9_hold=False)
        .select_for_update(of=("self",))
        .order_by("pk")
        .only("pk", "amount_minor", "currency", "budget_id", "payout_method")
    )
    if not owed:
        raise PayoutError(_("Nothing is owed by %(label)s now; no batch was made.") % {"label": label}, "nothing_owed")
    ids = [incentive.pk for incentive in owed]
    Incentive.objects.filter(pk__in=ids, payout_status=PayoutStatus.OWED).update(payout_status=PayoutStatus.IN_BATCH)
    batch = PayoutBatch.objects.create(
        organization=organization, method=method, currency=currency,
        provider=provider_for(organization, method).name, payout_count=len(owed),
        total_minor=sum(incentive.amount_minor for incentive in owed),
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    try:
        with transaction.atomic():
            Payout.objects.bulk_create(
                Payout(organization=organization, batch=batch, incentive_id=incentive.pk, method=method,
                       amount_minor=incentive.amount_minor, currency=currency)
                for incentive in owed
            )
    except IntegrityError:  # the constraint behind the locks: one live payout per incentive
        raise PayoutError(_("Some of these payouts were put in a batch just now; no batch was made."), "already_batched") from None
    from . import tasks

    enqueue_on_commit(tasks.payout_batch_submit, batch.pk)
    return batch


def payout_batch_submit(*, batch_id: int) -> int:
    """Hand a committed batch's pending payouts to its provider and apply the answers; the
    manual provider answers "pending" (a person pays the file). Returns how many changed."""
    batch = PayoutBatch.objects.select_related("organization").get(pk=batch_id)
    payouts = list(Payout.objects.for_org(batch.organization).filter(batch=batch, status=Payout.Status.PENDING))
    if not payouts:
        return 0
    results = provider_for(batch.organization, batch.method).send(payouts)
    return payout_results_apply(batch=batch, results=results, actor=None)


def payout_results_apply(*, batch: PayoutBatch, results: list[PayoutResult], actor) -> int:
    """A provider's answers: "sent" ones are paid, "failed" ones owed again, "pending" wait."""
    by_id = {payout.pk: payout for payout in Payout.objects.for_org(batch.organization).filter(batch=batch)}
    changed = 0
    sent = [result.payout_id for result in results if result.status == "sent" and result.payout_id in by_id]
    if sent:
        changed += payouts_mark_sent(batch=batch, payout_ids=sent, actor=actor)
    for result in results:
        if result.status == "failed" and result.payout_id in by_id:
            changed += payout_mark_failed(payout=by_id[result.payout_id], reason=result.reason or _("The provider refused it."), actor=actor)
    return changed


@retry_on_conflict
@transaction.atomic
def payout_batch_mark_sent(*, batch: PayoutBatch, actor) -> bool:
    """The batch's file was paid: its payouts are sent and their money payable -> paid out.
    False when it was marked sent already (nothing moves twice)."""
    batch = PayoutBatch.objects.select_for_update().select_related("organization").get(pk=batch.pk)
    if batch.status == PayoutBatch.Status.SENT:
        return False
    payout_ids = list(batch.payouts.filter(status=Payout.Status.PENDING).values_list("pk", flat=True))
    payouts_mark_sent(batch=batch, payout_ids=payout_ids, actor=actor)
    batch.status, batch.sent_at = PayoutBatch.Status.SENT, timezone.now()
    batch.sent_by = actor if getattr(actor, "pk", None) else None
    batch.save(update_fields=["status", "sent_at", "sent_by"])
    return True


@transaction.atomic
def payouts_mark_sent(*, batch: PayoutBatch, payout_ids, actor) -> int:
    """These pending payouts of the batch left: paid, one ledger transaction per budget."""
    payouts = list(
        Payout.objects.for_org(batch.organization)
        .filter(batch=batch, pk__in=list(payout_ids), status=Payout.Status.PENDING)
        .select_for_update(of=("self",))
        .order_by("pk")
    )
    if not payouts:
        return 0
    now = timezone.now()
    Payout.objects.filter(pk__in=[payout.pk for payout in payouts]).update(status=Payout.Status.SENT, sent_at=now)
    incentive_ids = [payout.incentive_id for payout in payouts]
    incentives = list(
        Incentive.objects.filter(pk__in=incentive_ids, payout_status=PayoutStatus.IN_BATCH)
        .select_related("participant").select_for_update(of=("self",)).order_by("pk")
    )
    Incentive.objects.filter(pk__in=[incentive.pk for incentive in incentives]).update(
        payout_status=PayoutStatus.PAID, payout_sent_at=now
    )
    _move_per_budget(
        incentives=incentives, move=budget_payout_sent, actor=actor, reference=f"payout-batch:{batch.pk}",
        memo=ngettext("%(n)s payout by %(label)s sent", "%(n)s payouts by %(label)s sent", len(incentives))
        % {"n": len(incentives), "label": _label(batch.method, batch.currency)},
    )
    for incentive in incentives:
        incentive.payout_status, incentive.payout_sent_at = PayoutStatus.PAID, now
    emit_many(batch.organization, "incentive.paid", [incentive_data(incentive) for incentive in incentives])
    return len(incentives)


@retry_on_conflict
@transaction.atomic
def payout_mark_failed(*, payout: Payout, reason: str, actor) -> bool:
    """The bank (or provider) refused or returned this payout, for `reason`. A payout that had
    been sent comes back (paid out -> payable); either way the incentive is owed again and its
    participant is emailed their link to correct their details. False when it had failed already."""
    reason = " ".join((reason or "").split())[:300]
    if not reason:
        raise InvalidInput(_("Write the bank's reason, as the participant will read it."), "no_reason")
    payout = (
        Payout.objects.select_for_update(of=("self",)).select_related("batch").get(pk=payout.pk)
    )
    if payout.status not in Payout.LIVE:
        return False
    was_sent = payout.status == Payout.Status.SENT
    now = timezone.now()
    payout.status = Payout.Status.RETURNED if was_sent else Payout.Status.FAILED
    payout.reason, payout.failed_at = reason, now
    payout.failed_by = actor if getattr(actor, "pk", None) else None
    payout.save(update_fields=["status", "reason", "failed_at", "failed_by"])
    incentive = (
        Incentive.objects.select_for_update(of=("self",))
        .select_related("organization", "participant").get(pk=payout.incentive_id)
    )
    Incentive.objects.filter(pk=incentive.pk).update(
        payout_status=PayoutStatus.RETURNED, payout_returned_at=now, payout_return_reason=reason
    )
    incentive.payout_status, incentive.payout_returned_at, incentive.payout_return_reason = PayoutStatus.RETURNED, now, reason
    if was_sent:
        budget = _budgets([incentive.budget_id])[incentive.budget_id]
        budget_payout_returned(budget=budget, amount=incentive.amount, actor=actor, reference=incentive.reference,
                               memo=_("Returned: %(reason)s") % {"reason": reason})
    outbound_emails_queue([payout_returned_email(incentive=incentive, reason=reason)])
    emit(incentive.organization, "incentive.payout_returned", incentive_data(incentive))
    return True


@retry_on_conflict
@transaction.atomic
def payout_abandon(*, incentive: Incentive, reason: str, actor=None) -> bool:
    """Give up on a returned payout nobody corrected: its money returns to the budget
    (payable -> available, with the reason) and its details are erased. False if not returned."""
    now = timezone.now()
    abandoned = Incentive.objects.filter(pk=incentive.pk, payout_status=PayoutStatus.RETURNED).update(
        payout_status=PayoutStatus.ABANDONED, payout_abandoned_at=now,
        payout_details_sealed="", payout_details_erased_at=now,
    )
    if not abandoned:
        return False
    incentive = Incentive.objects.select_related("organization", "participant").get(pk=incentive.pk)
    budget = _budgets([incentive.budget_id])[incentive.budget_id]
    budget_payout_abandoned(budget=budget, amount=incentive.amount, actor=actor or "system (payout period)",
                            reference=incentive.reference, memo=_("Abandoned: %(reason)s") % {"reason": reason})
    emit(incentive.organization, "incentive.payout_abandoned", incentive_data(incentive))
    return True


def payouts_abandon_due(*, now=None) -> int:
    """Returned payouts older than their organization's period are abandoned (beat, daily)."""
    now = now or timezone.now()
    due = Incentive.objects.filter(
        payout_status=PayoutStatus.RETURNED,
        organization__payout_abandon_after_days__isnull=False,
        payout_returned_at__lt=now - ExpressionWrapper(F("organization__payout_abandon_after_days") * DAY, output_field=DurationField()),
    ).select_related("organization")
    count = 0
    for incentive in due.order_by("pk"):
        days = incentive.organization.payout_abandon_after_days
        count += payout_abandon(
            incentive=incentive, reason=_("details not corrected within %(days)s days of the return") % {"days": days},
        )
    return count


@transaction.atomic
def payout_details_erase_due(*, now=None) -> int:
    """Erase the details of payouts paid longer ago than their organization's days (one UPDATE);
    the masked form stays. Returns how many were erased."""
    now = now or timezone.now()
    return (
        Incentive.objects.filter(payout_status=PayoutStatus.PAID, payout_details_erased_at__isnull=True)
        .filter(payout_sent_at__lt=now - ExpressionWrapper(F("organization__payout_details_erase_after_days") * DAY, output_field=DurationField()))
        .update(payout_details_sealed="", payout_details_erased_at=now)
    )
