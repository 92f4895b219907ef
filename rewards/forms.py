from django import forms
from django.utils.translation import gettext_lazy as _

from django.utils import timezone

from core.forms import AmountField
from core.money import Money, MoneyError, check_currency, require_positive

from .models import Advocate, Reward, RewardProgram
from .services.bulk import BulkFileError, decode_upload

MAX_UPLOAD_BYTES = 1_000_000


class RedeemForm(forms.Form):
    """Part of a reward (the amount typed) or all of it (the "Redeem all" button, `redeem_all`):
    the box starts empty, so one click never redeems everything by accident."""

    amount = AmountField(required=False, help_text=_("Part or all of what is available."))
    redeem_all = forms.BooleanField(required=False)
    note = forms.CharField(label=_("Note"), max_length=500, required=False)

    def __init__(self, *args, reward: Reward, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["amount"].currency = reward.currency
        self.fields["amount"].label = _("Amount (%(currency)s)") % {"currency": reward.currency}
        if self.data.get("redeem_all"):  # whatever is in the box, "Redeem all" redeems what is left
            self.fields["amount"] = forms.CharField(required=False)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("redeem_all"):
            cleaned["amount"] = None  # the service redeems what is left
        elif cleaned.get("amount") is None and "amount" not in self.errors:
            raise forms.ValidationError(_("Enter the amount to redeem, or use “Redeem all”."), code="no_amount")
        return cleaned


class BulkUploadForm(forms.Form):
    file = forms.FileField(label=_("CSV file"), help_text=_("The columns are named on the first line; see the example below."))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(_("The file is larger than 1 MB; split it into several uploads."))
        try:
            text = decode_upload(upload.read())
        except BulkFileError as error:
            raise forms.ValidationError(error.message) from None
        if "\x00" in text:
            raise forms.ValidationError(_("The file holds a NUL character (byte 0), which no CSV text has; export it from your spreadsheet as “CSV UTF-8”."))
        return text


class BulkApplyForm(forms.Form):
    """The previewed CSV comes back as text and is checked again before anything is applied;
    its content is what makes applying it twice apply it once (rewards.services.bulk)."""

    csv_text = forms.CharField(widget=forms.HiddenInput, max_length=2 * MAX_UPLOAD_BYTES, strip=False)
    # The duplicate rows ("same as line 3") the person ticked to apply as well.
    confirm_duplicate = forms.TypedMultipleChoiceField(coerce=int, required=False, widget=forms.MultipleHiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        lines = self.data.getlist("confirm_duplicate") if hasattr(self.data, "getlist") else []
        self.fields["confirm_duplicate"].choices = [(line, line) for line in lines if str(line).isdigit()]


class ProgramForm(forms.Form):
    """A reward program's rules; the amount is read in the currency given with it."""

    name = forms.CharField(label=_("Name"), max_length=200)
    currency = forms.CharField(label=_("Currency"), max_length=3, initial="USD", help_text=_("ISO 4217 code, or PTS for loyalty points."))
    amount = forms.CharField(label=_("Amount"), required=False, help_text=_("Every reward's amount; empty: given with each reward."))
    pending_days = forms.IntegerField(label=_("Pending period (days)"), min_value=0, max_value=36_500, initial=0)
    w9_above_threshold = forms.BooleanField(
        label=_("Hold for a W-9 above the yearly tax threshold"), required=False, initial=True,
        help_text=_("Once an advocate's rewards this calendar year are above the organization's threshold, new rewards wait for their W-9."),
    )
    expires_after_days = forms.IntegerField(label=_("Unredeemed rewards expire after (days)"), min_value=1, max_value=36_500, required=False, help_text=_("Empty: never."))
    cancellation_allowed = forms.BooleanField(label=_("Rewards may be cancelled"), required=False, initial=True)

    @classmethod
    def for_program(cls, program: RewardProgram, data=None):
        initial = {
            "name": program.name, "currency": program.currency, "amount": program.amount.plain() if program.amount else "",
            "pending_days": program.pending_days, "w9_above_threshold": program.w9_above_threshold,
            "expires_after_days": program.expires_after_days, "cancellation_allowed": program.cancellation_allowed,
        }
        return cls(data, initial=initial)

    def clean_currency(self):
        try:
            return check_currency(self.cleaned_data["currency"])
        except MoneyError as error:
            raise forms.ValidationError(str(error)) from None

    def clean(self):
        cleaned = super().clean()
        text = (cleaned.get("amount") or "").strip()
        cleaned["amount_minor"] = None
        if text and cleaned.get("currency"):
            try:
                cleaned["amount_minor"] = require_positive(Money.parse(text, cleaned["currency"])).amount_minor
            except MoneyError as error:
                self.add_error("amount", str(error))
        return cleaned

    def values(self) -> dict:
        names = ("name", "currency", "amount_minor", "pending_days", "w9_above_threshold", "expires_after_days", "cancellation_allowed")
        return {name: self.cleaned_data[name] for name in names}


class GiveRewardForm(forms.Form):
    program = forms.ModelChoiceField(label=_("Program"), queryset=RewardProgram.objects.none(), empty_label=None)
    advocate = forms.ModelChoiceField(label=_("Earned by"), queryset=Advocate.objects.none(), empty_label=None)
    amount = forms.CharField(label=_("Amount"), required=False, help_text=_("Only for programs without a fixed amount."))
    source_event = forms.CharField(label=_("What earned it"), max_length=200, help_text=_("e.g. “Referral: Jo signed up”."))
    event_at = forms.DateTimeField(label=_("When it happened"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"))

    def __init__(self, *args, account, advocate=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["program"].queryset = RewardProgram.objects.for_org(account.organization).filter(archived_at__isnull=True)
        self.fields["advocate"].queryset = Advocate.objects.for_org(account.organization).filter(account=account)
        self.initial.setdefault("advocate", advocate)
        self.initial.setdefault("event_at", timezone.localtime().replace(second=0, microsecond=0))

    def clean(self):
        cleaned = super().clean()
        program, text = cleaned.get("program"), (cleaned.get("amount") or "").strip()
        cleaned["money"] = None
        if program is not None and text:
            try:
                cleaned["money"] = require_positive(Money.parse(text, program.currency))
            except MoneyError as error:
                self.add_error("amount", str(error))
        return cleaned
