from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import AmountField

from .models import Reward
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
    file = forms.FileField(label="CSV file", help_text="Columns: account_external_id or reward_external_id, amount, note (and currency, optional).")

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError("The file is larger than 1 MB; split it into several uploads.")
        try:
            text = decode_upload(upload.read())
        except BulkFileError as error:
            raise forms.ValidationError(error.message) from None
        if "\x00" in text:
            raise forms.ValidationError("The file holds a NUL character (byte 0), which no CSV text has; export it from your spreadsheet as “CSV UTF-8”.")
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
