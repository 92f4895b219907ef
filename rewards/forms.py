from django import forms

from core.forms import AmountField

from .models import Reward
from .services.bulk import BulkFileError, decode_upload

MAX_UPLOAD_BYTES = 1_000_000


class RedeemForm(forms.Form):
    amount = AmountField(help_text="Part or all of what is available.")
    note = forms.CharField(max_length=500, required=False)

    def __init__(self, *args, reward: Reward, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["amount"].currency = reward.currency
        self.fields["amount"].label = f"Amount ({reward.currency})"


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
