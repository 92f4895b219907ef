from babel.numbers import list_currencies
from django import forms
from django.utils.translation import gettext as _, gettext_lazy

from core.forms import AmountField

from .models import Budget

COMMON_CURRENCIES = ["USD", "EUR", "GBP", "CAD", "AUD", "JPY", "CHF", "SEK", "KWD"]


class BudgetForm(forms.Form):
    name = forms.CharField(max_length=200, label=gettext_lazy("Name"))
    currency = forms.ChoiceField(
        label=gettext_lazy("Currency"),
        choices=[(c, c) for c in COMMON_CURRENCIES + sorted(set(list_currencies()) - set(COMMON_CURRENCIES))],
        initial="USD",
    )
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False, label=gettext_lazy("Description"))

    def __init__(self, *args, organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.organization = organization

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if Budget.objects.for_org(self.organization).filter(name__iexact=name).exists():
            raise forms.ValidationError(_("A budget with this name exists already."))
        return name


class MoneyMovementForm(forms.Form):
    """Fund or withdraw: an amount in the budget's currency and an optional note."""

    amount = AmountField(help_text=gettext_lazy("In the budget's currency, e.g. 250.00"))
    memo = forms.CharField(max_length=500, required=False, label=gettext_lazy("Note"))

    def __init__(self, *args, budget: Budget, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["amount"].currency = budget.currency
        self.fields["amount"].label = _("Amount (%(currency)s)") % {"currency": budget.currency}
