from django.contrib import messages
from django_tables2.paginators import LazyPaginator
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST
from django.utils.translation import gettext as _
from django.views.decorators.vary import vary_on_headers

from core.errors import DomainError
from core.forms import posted_text
from core.once import act_once, once
from core.lists import list_page
from core.tables import paginate_table
from tenancy.access import get_for_org_or_404, manager_required, organization_required

from approvals.models import Approval
from approvals.selectors import approval_list_for
from approvals.withdrawals import budget_withdrawal
from budgets import selectors, services
from budgets.charts import funds_chart
from budgets.forms import BudgetForm, MoneyMovementForm
from budgets.models import Budget
from budgets.models import LedgerTransaction
from budgets.tables import BudgetTable, LedgerTable

from .recipients import recipients_context, render_results, wants_results


@organization_required
def budget_list(request):
    return list_page(
        request, "budgets/budget_list.html", BudgetTable, None, selectors.budget_list_with_counts(organization=request.organization)
    )


@manager_required
def budget_create(request):
    form = BudgetForm(request.POST or None, organization=request.organization)
    if request.method == "POST" and form.is_valid():
        budget = services.budget_create(organization=request.organization, **form.cleaned_data)
        messages.success(request, _("Budget “%(name)s” created. Fund it to start sending.") % {"name": budget.name})
        return redirect("budgets:detail", pk=budget.pk)
    return render(request, "budgets/budget_form.html", {"form": form})


@organization_required
@vary_on_headers("HX-Request", "HX-Target")
def budget_detail(request, pk):
    """The budget's figures, chart and ledger, and the Recipients table limited to it (whose
    filters, sort and pages htmx re-renders alone)."""
    budget = get_for_org_or_404(selectors.budget_with_payout_totals(organization=request.organization), request, pk=pk)
    context = recipients_context(request, budget=budget)
    if wants_results(request):
        return render_results(request, context)
    # The ledger pages with its own parameter (ledger_page): `page` belongs to the recipients table.
    ledger = LedgerTable(
        selectors.budget_transactions(budget=budget), budget=budget, can_correct=request.membership.is_manager
    )
    paginate_table(ledger, request, per_page=25, paginator_class=LazyPaginator)
    series = selectors.budget_funds_series(budget=budget)
    return render(
        request,
        "budgets/budget_detail.html",
        {
            **context,
            "budget": budget,
            "ledger": ledger,
            "payout_totals": selectors.payout_totals_of(budget),
            "chart": funds_chart(series, currency=budget.currency, today=timezone.localdate()),
            "fund_form": MoneyMovementForm(budget=budget, prefix="fund"),
            "withdraw_form": MoneyMovementForm(budget=budget, prefix="withdraw"),
            "awaiting_approval": approval_list_for(organization=request.organization, budget=budget),
        },
    )


def _move_money(request, pk, *, prefix, service, done):
    budget = get_for_org_or_404(Budget.objects.with_accounts(), request, pk=pk)
    form = MoneyMovementForm(request.POST, budget=budget, prefix=prefix)
    if form.is_valid():
        done_now = None
        try:
            with once(request) as first:
                if first:
                    done_now = service(budget=budget, amount=form.cleaned_data["amount"], actor=request.user, memo=form.cleaned_data["memo"])
        except DomainError as error:
            messages.error(request, error.message)
        else:
            said = done % {"amount": form.cleaned_data["amount"], "budget": budget}
            if isinstance(done_now, Approval):
                said = _("%(summary)s: awaiting approval by another owner or admin. The amount is reserved meanwhile.") % {
                    "summary": done_now.summary}
            messages.success(request, said if first else _("Done already, once: %(said)s") % {"said": f"{said[0].lower()}{said[1:]}"})
    else:
        for error in form.errors.values():
            messages.error(request, " ".join(error))
    return redirect("budgets:detail", pk=budget.pk)


@manager_required
@require_POST
def budget_fund(request, pk):
    return _move_money(request, pk, prefix="fund", service=services.budget_fund, done=_("Added %(amount)s to %(budget)s."))


@manager_required
@require_POST
def budget_withdraw(request, pk):
    return _move_money(
        request, pk, prefix="withdraw", service=budget_withdrawal, done=_("Withdrew %(amount)s from %(budget)s.")
    )


@manager_required
@require_POST
def budget_correct(request, pk, transaction_pk):
    """Reverse a fund or withdrawal, with the reason; the original stays in the ledger."""
    budget = get_for_org_or_404(Budget.objects.with_accounts(), request, pk=pk)
    original = get_for_org_or_404(LedgerTransaction.objects.filter(budget=budget), request, pk=transaction_pk)
    act_once(
        request,
        lambda: services.ledger_reverse(transaction_to_undo=original, actor=request.user, reason=posted_text(request, "reason", label=_("Reason"))),
        done=_("Corrected %(transaction)s: its opposite is posted.") % {"transaction": original},
    )
    return redirect("budgets:detail", pk=budget.pk)
