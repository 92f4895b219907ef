from django import forms

from tenancy.models import Organization


class BatchForm(forms.Form):
    method = forms.ChoiceField(choices=Organization.PayoutMethod.choices)
    currency = forms.CharField(max_length=3)


class PayoutFailedForm(forms.Form):
    reason = forms.CharField(
        max_length=300, label="The bank's reason",
        error_messages={"required": "Write the bank's reason, as the participant will read it."},
        widget=forms.TextInput(attrs={"placeholder": "e.g. Account closed (AC04)"}),
    )
