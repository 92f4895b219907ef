import re
import zoneinfo

from django import forms
from django.utils.translation import gettext_lazy as _

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

    class Meta:
        model = Organization
        fields = [
            "name",
            "claims_allowed_after_study_closes",
            "payout_methods",
            "reminder_days",
            "reminder_max",
            "unclaimed_expire_after_days",
            "time_zone",
            "reporting_currency",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.instance.payout_methods:
            self.initial["payout_methods"] = Organization.PayoutMethod.values

    def _at_least_one(self, name: str, message: str):
        value = self.cleaned_data[name]
        if value is not None and value < 1:
            raise forms.ValidationError(message)
        return value

    def clean_time_zone(self):
        name = self.cleaned_data["time_zone"].strip()
        if name not in zoneinfo.available_timezones():
            raise forms.ValidationError(_("“%(name)s” is not a time zone name; write one like Europe/Paris or America/New_York."), params={"name": name})
        return name

    def clean_reporting_currency(self):
        code = self.cleaned_data["reporting_currency"].strip().upper()
        if not re.fullmatch(r"[A-Z]{3}", code):
            raise forms.ValidationError(_("Write the currency's three-letter ISO 4217 code, e.g. USD."))
        return code

    def clean_reminder_max(self):
        return self._at_least_one("reminder_max", "Give at least 1 reminder, or leave it empty for one on each reminder day.")

    def clean_unclaimed_expire_after_days(self):
        return self._at_least_one("unclaimed_expire_after_days", "Give at least 1 day, or leave it empty for never.")


class ApiKeyForm(forms.Form):
    name = forms.CharField(
        max_length=100,
        error_messages={"required": "Give the key a name."},
        help_text="What uses this key, e.g. “CRM sync”.",
        widget=forms.TextInput(attrs={"placeholder": "New key's name, e.g. CRM sync", "aria-label": "New API key's name"}),
    )
