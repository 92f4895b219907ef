"""Incentives for the Recipients tests, in any status and sent at any time, many at once.

Rows are bulk-created; the ledger moves the same money as real sends would (the budget is
funded with exactly the total first, so its available amount is unchanged by a factory call),
so `ledger_problems()` stays empty and cancelling returns exactly what was reserved.
"""

import itertools

from django.utils import timezone

from budgets.models import Budget
from budgets.services import budget_fund, budget_release, budget_reserve, budget_settle
from core.money import Money
from incentives import tokens
from incentives.models import Incentive
from incentives.payout_details import sealed_and_masked
from studies.models import Participant, StudyParticipant

Status = Incentive.Status
_numbers = itertools.count(1)
BATCH = 2000


def make_incentives(study, count=1, *, status=Status.UNCLAIMED, sent_at=None, amount_minor=None, names=None, reminded_at=None):
    """`count` incentives of `study` for new participants (named `names` if given)."""
    budget = Budget.objects.with_accounts().select_related("organization").get(pk=study.budget_id)
    amount_minor = amount_minor or study.incentive_amount_minor
    sent_at = sent_at or timezone.now()
    names = names or [None] * count
    people = []
    for name in names:
        n = next(_numbers)
        people.append(Participant(organization=study.organization, name=name or f"Recipient {n:06d}", email=f"recipient{n:06d}@example.test"))
    people = Participant.objects.bulk_create(people, batch_size=BATCH)
    StudyParticipant.objects.bulk_create(
        [StudyParticipant(organization=study.organization, study=study, participant=person, status=StudyParticipant.Status.INCENTIVE_SENT) for person in people],
        batch_size=BATCH,
    )
    stamps = {Status.CLAIMED: "claimed_at", Status.CANCELLED: "cancelled_at", Status.EXPIRED: "expired_at"}
    rows = []
    for person in people:
        nonce = tokens.new_nonce()
        row = Incentive(
            organization=study.organization, study=study, participant=person, budget=budget, amount_minor=amount_minor,
            currency=budget.currency, status=status, token_nonce=nonce, token_hash=tokens.token_hash(tokens.claim_token(nonce)),
            subject="Thank you", sent_at=sent_at, last_reminded_at=reminded_at, reminder_count=1 if reminded_at else 0,
        )
        if status in stamps:
            setattr(row, stamps[status], sent_at)
        if status == Status.CLAIMED:  # owed by gift card, as a claim leaves it
            row.payout_method, row.payout_status = "gift_card", Incentive.PayoutStatus.OWED
            row.payout_details_sealed, row.payout_details_masked = sealed_and_masked({"gift_card_email": person.email})
        rows.append(row)
    incentives = Incentive.objects.bulk_create(rows, batch_size=BATCH)
    total = Money(amount_minor * len(rows), budget.currency)
    budget_fund(budget=budget, amount=total, actor=None, memo="Test incentives")
    budget_reserve(budget=budget, amount=total, actor=None, memo="Test incentives")
    if status == Status.CLAIMED:
        budget_settle(budget=budget, amount=total, actor=None)
    elif status in (Status.CANCELLED, Status.EXPIRED):
        budget_release(budget=budget, amount=total, actor=None)
    return incentives


def make_incentive(study, *, name=None, **kwargs) -> Incentive:
    return make_incentives(study, 1, names=[name] if name else None, **kwargs)[0]
