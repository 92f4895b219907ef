import csv
import io

from django import forms
from django.utils import timezone
from django.utils.translation import gettext as _, gettext_lazy

from budgets.models import Budget
from core.forms import AmountField
from tenancy.models import Membership, User

from .models import Study, StudyParticipant
from .services import MAX_SESSION_MINUTES

Status = StudyParticipant.Status
# Statuses people set by hand; "incentive sent" comes only from sending one.
MANUAL_STATUSES = [(value, label) for value, label in Status.choices if value != Status.INCENTIVE_SENT]


class StudyForm(forms.Form):
    """A study and its incentive plan: the amount each participant gets, from which budget."""

    name = forms.CharField(max_length=200, label=gettext_lazy("Name"))
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False, label=gettext_lazy("Description"))
    budget = forms.ModelChoiceField(queryset=Budget.objects.none(), empty_label=None, label=gettext_lazy("Budget"))
    amount = AmountField(label=gettext_lazy("Incentive per participant"), help_text=gettext_lazy("In the budget's currency, e.g. 25.00"))
    owners = forms.ModelMultipleChoiceField(
        queryset=User.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        label=gettext_lazy("Owners"),
        help_text=gettext_lazy("Teammates who share ownership. Owners and organization admins send incentives."),
    )

    def __init__(self, *args, organization, study: Study | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.organization, self.study = organization, study
        budgets = Budget.objects.for_org(organization).with_accounts()
        self.fields["budget"].queryset = budgets
        self.fields["owners"].queryset = User.objects.filter(
            memberships__organization=organization, memberships__role__in=Membership.WRITERS
        ).order_by("name", "email")
        # The amount is read in the chosen budget's currency.
        budget_id = str(self.data.get("budget") or self.initial.get("budget") or "")
        chosen = budgets.filter(pk=budget_id).first() if budget_id.isdigit() else None
        self.fields["amount"].currency = chosen.currency if chosen else (study.currency if study else "USD")

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        same = Study.objects.for_org(self.organization).filter(name__iexact=name)
        if self.study:
            same = same.exclude(pk=self.study.pk)
        if same.exists():
            raise forms.ValidationError(_("A study with this name exists already."))
        return name


class SessionForm(forms.Form):
    """A scheduled session: when it has ended, the participant is done automatically."""

    session_at = forms.DateTimeField(
        label=gettext_lazy("Session time"), required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    session_minutes = forms.IntegerField(
        label=gettext_lazy("Length (minutes)"), required=False, min_value=1, max_value=MAX_SESSION_MINUTES,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Read and shown in the organization's time zone (tenancy.middleware activates it).
        self.fields["session_at"].label = _("Session time (%(zone)s)") % {"zone": timezone.get_current_timezone_name()}

    def clean(self):
        data = super().clean()
        if "session_at" in data and "session_minutes" in data:
            if data["session_at"] and data["session_minutes"] is None:
                self.add_error("session_minutes", _("Give the session's length too."))
            elif data["session_minutes"] and data["session_at"] is None:
                self.add_error("session_at", _("Give the session's time too."))
        return data


class ParticipantForm(SessionForm):
    name = forms.CharField(max_length=200, label=gettext_lazy("Name"))
    email = forms.EmailField(label=gettext_lazy("Email"))
    status = forms.ChoiceField(choices=MANUAL_STATUSES, initial=Status.INVITED, label=gettext_lazy("Status"))
    field_order = ["name", "email", "status", "session_at", "session_minutes"]


class ParticipantCsvForm(forms.Form):
    MAX_BYTES = 1_000_000

    file = forms.FileField(
        label=gettext_lazy("CSV file"),
        help_text=gettext_lazy(
            "One participant a line: name, email, and optionally session time and minutes (2026-12-04 14:00,60: "
            "they are Scheduled). A header line is optional; a header with a language column (name,email,language) "
            "adds each one's language (en, fr), for their emails."
        ),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > self.MAX_BYTES:
            raise forms.ValidationError(_("The file is larger than 1 MB; split it into smaller files."))
        try:
            text = upload.read().decode("utf-8-sig")
        except UnicodeDecodeError:
            raise forms.ValidationError(_("The file is not UTF-8 text; save it as CSV (UTF-8).")) from None
        if "\x00" in text:
            raise forms.ValidationError(_("The file holds a NUL character (byte 0), which no CSV text has; save it as CSV (UTF-8)."))
        try:
            for _row in csv.reader(io.StringIO(text)):
                pass
        except csv.Error:  # e.g. a cell over csv.field_size_limit() (131,072 characters)
            raise forms.ValidationError(
                _("The file can't be read as CSV: a cell is longer than %(limit)s characters, or a quote is never closed.")
                % {"limit": f"{csv.field_size_limit():,}"}
            ) from None
        return text


class StatusForm(forms.Form):
    status = forms.ChoiceField(choices=MANUAL_STATUSES, label=gettext_lazy("Status"))
