from django import forms
from django.utils.translation import gettext_lazy as _

from tenancy.models import Organization


class BatchForm(forms.Form):
    method = forms.ChoiceField(choices=Organization.PayoutMethod.choices)
    currency = forms.CharField(max_length=3)


class PayoutFailedForm(forms.Form):
    reason = forms.CharField(
        max_length=300, label=_("The bank's reason"),
        error_messages={"required": _("Write the bank's reason, as the participant will read it.")},
        widget=forms.TextInput(attrs={"placeholder": _("e.g. Account closed (AC04)")}),
    )
