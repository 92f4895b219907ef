import re
import zoneinfo
from decimal import Decimal

from babel.numbers import get_currency_precision
from django import forms
from django.utils.translation import gettext_lazy as _
from schwifty import BIC, IBAN
from schwifty.exceptions import SchwiftyException

from .currencies import money_currencies
from .models import Organization, User


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
            raise forms.ValidationError(_("Write whole numbers of days separated by commas, e.g. 7, 21."))
        if any(day < 1 for day in days):
            raise forms.ValidationError(_("Each reminder is at least 1 day after sending."))
        return days


class ThresholdField(forms.DecimalField):
    """An approval threshold typed as an amount ('1000.00'), kept as minor units (or None); the
    form scales it by the decimals of the currency chosen beside it (OrganizationPolicyForm.clean).
    (tenancy sits below core.money, so Babel is asked directly.)"""

    def __init__(self, **kwargs):
        super().__init__(required=False, min_value=0, max_digits=15, **kwargs)
        self.widget.attrs.update(inputmode="decimal", autocomplete="off")
        self.decimals = 2

    def prepare_value(self, value):
        if isinstance(value, int) and not isinstance(value, bool):
            return f"{Decimal(value).scaleb(-self.decimals):.{self.decimals}f}"
        return value


class OrganizationPolicyForm(forms.ModelForm):
    payout_methods = forms.MultipleChoiceField(
        label=_("Payout methods"),
        choices=Organization.PayoutMethod.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Offered on the claim page; at least one."),
    )
    reminder_days = DayListField(
        required=False,
        label=_("Reminder days"),
        help_text=_("Reminder emails for unclaimed incentives, in days after sending (e.g. 7, 21). Empty: no automatic reminders."),
    )
    approval_currency = forms.CharField(
        label=_("Currency of the thresholds"), max_length=3, required=False,
        help_text=_("Payments in another currency wait for approval whenever a threshold is set."),
    )
    approval_total_above_minor = ThresholdField(
        label=_("Approval above, per request in total"),
        help_text=_("A send, budget withdrawal, bulk reward file or offer grant above this waits for another owner or admin. Empty: none."),
    )
    approval_participant_above_minor = ThresholdField(
        label=_("Approval above, per participant"),
        help_text=_("A payment of more than this to any one person waits for approval. Empty: none."),
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
            "time_zone",
            "reporting_currency",
            "approval_currency",
            "approval_total_above_minor",
            "approval_participant_above_minor",
            "payout_providers",
            "payout_arrival_days",
            "payout_abandon_after_days",
            "payout_details_erase_after_days",
            "sepa_debtor_name",
            "sepa_debtor_iban",
            "sepa_debtor_bic",
            "offers_enabled",
            "rewards_enabled",
        ]
        # Fields whose model gives no translatable name of its own.
        labels = {
            "name": _("Name"),
            "reply_to_email": _("Reply-to email"),
            "claims_allowed_after_study_closes": _("Claims allowed after the study closes"),
            "payout_methods": _("Payout methods"),
            "time_zone": _("Time zone"),
            "reporting_currency": _("Reporting currency"),
        }

    MODULES = ["offers_enabled", "rewards_enabled"]

    def __init__(self, *args, can_switch_modules: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        # Only owners switch modules on and off; admins see what is on.
        for name in self.MODULES:
            self.fields[name].disabled = not can_switch_modules
        if not self.instance.payout_methods:
            self.initial["payout_methods"] = Organization.PayoutMethod.values
        for name in ("approval_total_above_minor", "approval_participant_above_minor"):
            currency = self.instance.approval_currency or "USD"
            self.fields[name].decimals = 0 if currency == "PTS" else get_currency_precision(currency)
        # One provider choice per payout method (payouts.providers).
        for method, label in Organization.PayoutMethod.choices:
            self.fields[f"provider_{method}"] = forms.ChoiceField(
                label=_("%(method)s: paid through") % {"method": label}, choices=Organization.PAYOUT_PROVIDERS, required=False,
                initial=self.instance.payout_provider_for(method),
            )

    def clean_approval_currency(self):
        code = self.cleaned_data["approval_currency"].strip().upper() or self.instance.approval_currency or "USD"
        if code != "PTS" and code not in money_currencies():
            raise forms.ValidationError(_("“%(code)s” is not an ISO 4217 currency in use; write one like USD or EUR."), params={"code": code})
        return code

    def module_fields(self):
        return [self[name] for name in self.MODULES]

    def provider_fields(self):
        return [self[f"provider_{method}"] for method in Organization.PayoutMethod.values]

    def clean(self):
        cleaned = super().clean()
        currency = cleaned.get("approval_currency")
        for name in ("approval_total_above_minor", "approval_participant_above_minor"):
            value = cleaned.get(name)
            if value is None or not currency:
                continue
            places = 0 if currency == "PTS" else get_currency_precision(currency)
            minor = value.scaleb(places)
            if minor != minor.to_integral_value():
                self.add_error(name, _("%(currency)s amounts have at most %(places)s decimals.") % {"currency": currency, "places": places})
            else:
                cleaned[name] = int(minor)
        cleaned["payout_providers"] = {
            method: cleaned.get(f"provider_{method}") or "manual" for method in Organization.PayoutMethod.values
        }
        return cleaned

    def clean_sepa_debtor_iban(self):
        value = "".join(self.cleaned_data["sepa_debtor_iban"].split()).upper()
        if value:
            try:
                return IBAN(value).compact
            except SchwiftyException:
                raise forms.ValidationError(_("This IBAN is not valid: check each character.")) from None
        return value

    def clean_sepa_debtor_bic(self):
        value = "".join(self.cleaned_data["sepa_debtor_bic"].split()).upper()
        if value:
            try:
                return str(BIC(value))
            except SchwiftyException:
                raise forms.ValidationError(_("This BIC is not valid: it has 8 or 11 letters and digits.")) from None
        return value

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
        if code not in money_currencies():
            raise forms.ValidationError(_("“%(code)s” is not an ISO 4217 currency in use; write one like USD or EUR."), params={"code": code})
        return code

    def clean_reminder_max(self):
        return self._at_least_one("reminder_max", _("Give at least 1 reminder, or leave it empty for one on each reminder day."))

    def clean_payout_abandon_after_days(self):
        return self._at_least_one("payout_abandon_after_days", _("Give at least 1 day, or leave it empty for never."))

    def clean_unclaimed_expire_after_days(self):
        return self._at_least_one("unclaimed_expire_after_days", _("Give at least 1 day, or leave it empty for never."))


class ApiKeyForm(forms.Form):
    name = forms.CharField(
        max_length=100,
        error_messages={"required": _("Give the key a name.")},
        help_text=_("What uses this key, e.g. “CRM sync”."),
        widget=forms.TextInput(attrs={"placeholder": _("New key's name, e.g. CRM sync"), "aria-label": _("New API key's name")}),
    )


class UserSettingsForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["name", "language"]
        labels = {"name": _("Your name"), "language": _("Language")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["language"].choices = [("", _("The language of my browser")), *self.fields["language"].choices[1:]]
