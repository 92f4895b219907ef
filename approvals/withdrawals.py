"""A budget withdrawal above the approval threshold: its amount is reserved (available ->
reserved) when asked for; approving releases it and withdraws it then, rejecting releases it.

The budget pages call `budget_withdrawal` instead of budgets.services.budget_withdraw; budgets
sits below this app and knows nothing of approvals.
"""

from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from budgets.models import Budget
from budgets.services import budget_release, budget_reserve, budget_withdraw, checked_amount
from core.money import Money

from .models import Approval
from .services import approval_request, requires_approval


@transaction.atomic
def budget_withdrawal(*, budget: Budget, amount: Money, actor, memo: str = ""):
    """Withdraw now, or, above the threshold, reserve the amount and return the Approval."""
    amount = checked_amount(amount, budget.currency)
    if not requires_approval(organization=budget.organization, total=amount):
        return budget_withdraw(budget=budget, amount=amount, actor=actor, memo=memo)
    reservation = budget_reserve(
        budget=budget, amount=amount, actor=actor, reference=f"budget:{budget.pk}",
        memo=(_("Withdrawal awaiting approval: %(memo)s") % {"memo": memo} if memo else _("Withdrawal awaiting approval"))[:500], purpose="withdrawal",
    )
    return approval_request(
        organization=budget.organization,
        kind=Approval.Kind.BUDGET_WITHDRAWAL,
        requested_by=actor,
        total=amount,
        summary=_("Withdraw %(amount)s from budget %(budget)s") % {"amount": amount, "budget": budget.name},
        reference=f"budget:{budget.pk}",
        link=reverse("budgets:detail", args=[budget.pk]),
        budget=budget,
        payload={"memo": memo},
        reservation=reservation,
    )


def _budget(approval: Approval) -> Budget:
    return Budget.objects.with_accounts().select_related("organization").get(pk=approval.budget_id)


def approval_run(*, approval: Approval, actor) -> str:
    budget = _budget(approval)
    budget_release(
        budget=budget, amount=approval.amount, actor=actor, reference=f"approval:{approval.pk}",
        memo=_("Approved withdrawal: its reservation ends"),
    )
    budget_withdraw(budget=budget, amount=approval.amount, actor=approval.requested_by, memo=approval.payload.get("memo", ""))
    return _("%(amount)s was withdrawn from %(budget)s.") % {"amount": approval.amount, "budget": budget.name}


def approval_release(*, approval: Approval, actor):
    return budget_release(
        budget=_budget(approval), amount=approval.amount, actor=actor, reference=f"approval:{approval.pk}",
        memo=_("Withdrawal rejected"),
    )
