from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext as _, gettext_lazy
from django.shortcuts import redirect, render

from core.forms import AmountField

from . import services
from .models import Budget, LedgerAccount, LedgerEntry, LedgerTransaction


class ReadOnlyAdmin(admin.ModelAdmin):
    """The ledger is append-only: admins read it; money moves only through services."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class FundForm(forms.Form):
    amount = AmountField()
    memo = forms.CharField(required=False)


@admin.register(Budget)
class BudgetAdmin(admin.ModelAdmin):
    list_display = ["name", "organization", "currency", "available", "reserved", "payable", "paid_out"]
    list_filter = ["organization", "currency"]
    search_fields = ["name"]
    fields = ["organization", "name", "currency", "description"]
    actions = ["fund"]

    def get_queryset(self, request):
        return super().get_queryset(request).with_accounts().select_related("organization")

    def get_readonly_fields(self, request, obj=None):
        return ["organization", "currency"] if obj else []

    def save_model(self, request, obj, form, change):
        if change:
            obj.save(update_fields=["name", "description"])
        else:  # the accounts come with it
            created = services.budget_create(
                organization=obj.organization, name=obj.name, currency=obj.currency, description=obj.description
            )
            obj.pk = created.pk

    @admin.display(description=gettext_lazy("Available"))
    def available(self, obj):
        return obj.money(obj.available_minor)

    @admin.display(description=gettext_lazy("Reserved"))
    def reserved(self, obj):
        return obj.money(obj.reserved_minor)

    @admin.display(description=gettext_lazy("Payable"))
    def payable(self, obj):
        return obj.money(obj.payable_minor)

    @admin.display(description=gettext_lazy("Paid out"))
    def paid_out(self, obj):
        return obj.money(obj.paid_out_minor)

    @admin.action(description=gettext_lazy("Fund the selected budget"))
    def fund(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, _("Fund one budget at a time."), messages.ERROR)
            return None
        budget = queryset.get()
        form = FundForm(request.POST if "apply" in request.POST else None)
        form.fields["amount"].currency = budget.currency
        if form.is_valid():
            try:
                services.budget_fund(budget=budget, amount=form.cleaned_data["amount"], actor=request.user, memo=form.cleaned_data["memo"])
            except services.LedgerError as error:
                self.message_user(request, error.message, messages.ERROR)
            else:
                self.message_user(request, _("Added %(amount)s to %(budget)s.") % {"amount": form.cleaned_data["amount"], "budget": budget})
            return redirect(request.get_full_path())
        return render(request, "admin/budgets/fund.html", {**self.admin_site.each_context(request), "budget": budget, "form": form, "title": _("Fund %(budget)s") % {"budget": budget}})


@admin.register(LedgerAccount)
class LedgerAccountAdmin(ReadOnlyAdmin):
    list_display = ["name", "organization", "kind", "currency", "balance_minor"]
    list_filter = ["organization", "kind", "currency"]


class LedgerEntryInline(admin.TabularInline):
    model = LedgerEntry
    fields = ["account", "amount_minor"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(LedgerTransaction)
class LedgerTransactionAdmin(ReadOnlyAdmin):
    list_display = ["id", "created_at", "organization", "kind", "budget", "actor_label", "reference"]
    list_filter = ["organization", "kind"]
    search_fields = ["reference", "memo", "actor_label"]
    inlines = [LedgerEntryInline]
