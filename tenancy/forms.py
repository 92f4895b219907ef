from django import forms
from schwifty import BIC, IBAN
from schwifty.exceptions import SchwiftyException

from .models import Organization


class DayListField(forms.CharField):
    """'7, 21' <-> [7, 21]: whole days, ascending, each at least 1."""

    def prepare_value(self, value):
        return ", ".join(str(day) for day in value) if isinstance(value, list) else value

    def to_python(self, value):
        text = super().to_python(value)
        if not text:
            return []
        try:
            days = sorted({int(part) for part in text.replace(" ", "").split(",") if part})
        except ValueError:
            raise forms.ValidationError("Write whole numbers of days separated by commas, e.g. 7, 21.")
        if any(day < 1 for day in days):
            raise forms.ValidationError("Each reminder is at least 1 day after sending.")
        return days


class OrganizationPolicyForm(forms.ModelForm):
    payout_methods = forms.MultipleChoiceField(
        choices=Organization.PayoutMethod.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text="Offered on the claim page; at least one.",
    )
    reminder_days = DayListField(
        required=False,
        help_text="Reminder emails for unclaimed incentives, in days after sending (e.g. 7, 21). "
        "Empty: no automatic reminders.",
    )

    payout_providers = forms.Field(required=False, widget=forms.HiddenInput)

    class Meta:
        model = Organization
        fields = [
            "name",
            "reply_to_email",
            "claims_allowed_after_study_closes",
            "payout_methods",
            "reminder_days",
            "reminder_max",
            "unclaimed_expire_after_days",
            "payout_providers",
            "payout_arrival_days",
            "payout_abandon_after_days",
            "payout_details_erase_after_days",
            "sepa_debtor_name",
            "sepa_debtor_iban",
            "sepa_debtor_bic",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.instance.payout_methods:
            self.initial["payout_methods"] = Organization.PayoutMethod.values
        # One provider choice per payout method (payouts.providers).
        for method, label in Organization.PayoutMethod.choices:
            self.fields[f"provider_{method}"] = forms.ChoiceField(
                label=f"{label}: paid through", choices=Organization.PAYOUT_PROVIDERS, required=False,
                initial=self.instance.payout_provider_for(method),
            )

    def provider_fields(self):
        return [self[f"provider_{method}"] for method in Organization.PayoutMethod.values]

    def clean(self):
        data = super().clean()
        data["payout_providers"] = {
            method: data.get(f"provider_{method}") or "manual" for method in Organization.PayoutMethod.values
        }
        return data

    def clean_sepa_debtor_iban(self):
        value = "".join(self.cleaned_data["sepa_debtor_iban"].split()).upper()
        if value:
            try:
                return IBAN(value).compact
            except SchwiftyException:
                raise forms.ValidationError("This IBAN is not valid: check each character.") from None
        return value

    def clean_sepa_debtor_bic(self):
        value = "".join(self.cleaned_data["sepa_debtor_bic"].split()).upper()
        if value:
            try:
                return str(BIC(value))
            except SchwiftyException:
                raise forms.ValidationError("This BIC is not valid: it has 8 or 11 letters and digits.") from None
        return value

    def _at_least_one(self, name: str, message: str):
        value = self.cleaned_data[name]
        if value is not None and value < 1:
            raise forms.ValidationError(message)
        return value

    def clean_reminder_max(self):
        return self._at_least_one("reminder_max", "Give at least 1 reminder, or leave it empty for one on each reminder day.")

    def clean_payout_abandon_after_days(self):
        return self._at_least_one("payout_abandon_after_days", "Give at least 1 day, or leave it empty for never.")

    def clean_unclaimed_expire_after_days(self):
        return self._at_least_one("unclaimed_expire_after_days", "Give at least 1 day, or leave it empty for never.")


class ApiKeyForm(forms.Form):
    name = forms.CharField(
        max_length=100,
        error_messages={"required": "Give the key a name."},
        help_text="What uses this key, e.g. “CRM sync”.",
        widget=forms.TextInput(attrs={"placeholder": "New key's name, e.g. CRM sync", "aria-label": "New API key's name"}),
    )
