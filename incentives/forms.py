import re

from django import forms
from django.contrib.humanize.templatetags.humanize import intcomma
from django.core.validators import EmailValidator
from django.utils.translation import gettext as _, gettext_lazy, ngettext

from core.errors import InvalidInput
from core.forms import AmountField
from studies.models import Participant, StudyParticipant

from . import payout_details
from .services.w9 import tin_compact


# A step names this many of a large group ("and 9,988 more").
SHOWN_NAMES = 12


class SendChoiceForm(forms.Form):
    """Step 1 of sending: who (from the Done group) and how much each.

    Who is either the ticked participants (their ids posted) or, with `selection=all`, everyone
    in the study's Done group: the filter is posted, not the ids, and the server resolves it
    each step. `expected` carries the count the person saw, so a group that changed between
    steps is shown again before anyone is paid."""

    participants = forms.TypedMultipleChoiceField(coerce=int, choices=[], error_messages={"required": gettext_lazy("Choose at least one participant from the Done group.")})
    amount = AmountField(label=gettext_lazy("Amount per participant"))

    def __init__(self, *args, study, **kwargs):
        super().__init__(*args, **kwargs)
        self.study = study
        self.fields["amount"].currency = study.currency
        self.fields["amount"].label = _("Amount per participant (%(currency)s)") % {"currency": study.currency}
        self.everyone = self.data.get("selection") == "all"
        self.group_changed = False
        rows = StudyParticipant.objects.for_org(study.organization).filter(study=study).select_related("participant")
        if self.everyone:
            # The group's ids in one light query (10,000 people are 10,000 integers, not 20,000
            # model instances); only the names the step shows are loaded.
            self.fields["participants"].required = False
            group = rows.filter(status__in=StudyParticipant.DONE)
            self.group_ids = list(group.order_by("participant_id").values_list("participant_id", flat=True))
            rows = group.order_by("participant__name", "pk")[:SHOWN_NAMES]
        else:
            rows = rows.filter(participant_id__in=self._posted_ids())
        self.rows = list(rows)
        self.fields["participants"].choices = [(row.participant_id, row.participant.name) for row in self.rows]

    def _posted_ids(self) -> list[int]:
        values = self.data.getlist("participants") if hasattr(self.data, "getlist") else []
        return [int(value) for value in values if str(value).isdigit()]

    def clean_participants(self):
        if self.everyone:
            return self._everyone()
        chosen = set(self.cleaned_data["participants"])
        waiting = [row.participant.name for row in self.rows if row.participant_id in chosen and not row.is_done]
        if waiting:
            raise forms.ValidationError(ngettext(
                "Only participants in the Done group can be paid; %(names)s is not.",
                "Only participants in the Done group can be paid; %(names)s are not.", len(waiting),
            ) % {"names": ", ".join(waiting)})
        return sorted(chosen)

    @property
    def count(self) -> int:
        """How many the step is for: the whole group, or the posted ids found in the study."""
        return len(self.group_ids) if self.everyone else len(self.rows)

    def _everyone(self) -> list[int]:
        if not self.group_ids:
            raise forms.ValidationError(_("No one is in the Done group now; nothing to send."))
        expected = str(self.data.get("expected", ""))
        if expected.isdigit() and int(expected) != len(self.group_ids):
            self.group_changed = True
            raise forms.ValidationError(_(
                "The Done group has changed since you chose it: it holds %(now)s participants now, "
                "not %(before)s. Check the count and the total, then go on."
            ) % {"now": intcomma(len(self.group_ids)), "before": intcomma(int(expected))})
        return self.group_ids

    def clean(self):
        """The total against the budget here, at the amount step, not at the last one."""
        data = super().clean()
        amount, chosen = data.get("amount"), data.get("participants")
        if amount and chosen:
            budget = self.study.budget
            total, available = amount * len(chosen), budget.available_account.balance
            if total.amount_minor > available.amount_minor:
                self.add_error("amount", _(
                    "%(budget)s has %(available)s available; %(count)s × %(amount)s needs %(total)s, "
                    "%(missing)s more. Lower the amount, choose fewer participants or add funds to the budget."
                ) % {"budget": budget.name, "available": available, "count": intcomma(len(chosen)), "amount": amount,
                     "total": total, "missing": total - available})
        return data

    def chosen(self) -> list[StudyParticipant]:
        """The chosen rows the step shows: all of the ticked ones; the first SHOWN_NAMES of a group."""
        ids = set(self.cleaned_data.get("participants") or [])
        return [row for row in self.rows if row.participant_id in ids]

    def chosen_participants(self) -> list[Participant]:
        """Every chosen participant (the tax check reads them all)."""
        if self.everyone:
            return list(Participant.objects.for_org(self.study.organization).filter(pk__in=self.cleaned_data["participants"]))
        return [row.participant for row in self.chosen()]


PLACEHOLDER = re.compile(r"{\s*([A-Za-z_]\w*)\s*}")
# What the message may hold in braces: incentives.emails puts each participant's name for {name}.
KNOWN_PLACEHOLDERS = ("{name}",)


class SendMessageForm(forms.Form):
    """Step 2: the thank-you email. The amount and the claim button are always added."""

    subject = forms.CharField(max_length=200, label=gettext_lazy("Subject"))
    message = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 8}),
        max_length=5000,
        label=gettext_lazy("Message"),
        help_text=gettext_lazy("Placeholders: {name}, each participant's name. The amount and a claim button follow your text."),
    )

    def clean_message(self):
        """Refuse a placeholder the email can't fill: a typo such as {nmae} would reach people as it is."""
        text = self.cleaned_data["message"]
        unknown = sorted({match.group(0) for match in PLACEHOLDER.finditer(text) if match.group(0) not in KNOWN_PLACEHOLDERS})
        if unknown:
            known = ", ".join(KNOWN_PLACEHOLDERS)
            raise forms.ValidationError(ngettext(
                "Unknown placeholder: %(unknown)s. The placeholders you can use: %(known)s.",
                "Unknown placeholders: %(unknown)s. The placeholders you can use: %(known)s.", len(unknown),
            ) % {"unknown": ", ".join(unknown), "known": known})
        return text


class ClaimForm(forms.Form):
    """How the participant wants the incentive paid; only the chosen method's details are asked
    for and checked (incentives.payout_details: IBAN and BIC with schwifty)."""

    payout_method = forms.ChoiceField(
        widget=forms.RadioSelect, label=gettext_lazy("How would you like to receive it?"),
        error_messages={"required": gettext_lazy("Choose how you would like to receive it.")},
    )
    gift_card_email = forms.CharField(max_length=254, required=False, label=gettext_lazy("Email address for the gift card"))
    account_holder = forms.CharField(max_length=70, required=False, label=gettext_lazy("Account holder"))
    iban = forms.CharField(max_length=64, required=False, label=gettext_lazy("IBAN or account number"))
    bic = forms.CharField(max_length=20, required=False, label=gettext_lazy("BIC (optional)"))
    charity_name = forms.CharField(max_length=200, required=False, label=gettext_lazy("Charity to donate to"))

    def __init__(self, *args, organization, currency, methods=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.currency = currency
        self.fields["payout_method"].choices = methods or organization.offered_payout_methods()
        if currency == "EUR":
            self.fields["iban"].label = "IBAN"

    def clean(self):
        data = super().clean()
        method = data.get("payout_method")
        if not method:
            return data
        missing = [name for name in payout_details.FIELDS.get(method, ()) if name not in payout_details.OPTIONAL and not (data.get(name) or "").strip()]
        for name in missing:  # each empty field says so once, all of them at once
            self.add_error(name, _("Please fill this in for the payout method you chose."))
        if missing:
            return data
        if method == "gift_card" and data.get("gift_card_email"):
            try:
                EmailValidator()(data["gift_card_email"].strip())
            except forms.ValidationError:
                self.add_error("gift_card_email", _("Enter a valid email address, like name@example.com."))
                return data
        try:
            self.details = payout_details.cleaned(method=method, values=data, currency=self.currency)
        except payout_details.PayoutDetailsInvalid as error:
            self.add_error(error.field if error.field in self.fields else None, error.message)
        return data

    def payout_details(self) -> dict:
        return self.details

    def method_fields(self):
        """(method, label, [bound fields]) for each offered method: the page shows one at a time."""
        return [
            (method, label, [self[name] for name in payout_details.FIELDS[method]])
            for method, label in self.fields["payout_method"].choices
        ]


class W9Form(forms.Form):
    """Form W-9's part I and the certification, as the claim page asks for them; the TIN is
    checked as the IRS issues them (incentives.services.w9.tin_compact)."""

    legal_name = forms.CharField(
        max_length=200, label=gettext_lazy("Name (as shown on your income tax return)"),
        error_messages={"required": gettext_lazy("Give your name as shown on your income tax return.")},
    )
    tin_type = forms.ChoiceField(
        widget=forms.RadioSelect, label=gettext_lazy("Taxpayer identification number"), choices=[("ssn", "SSN"), ("ein", "EIN")],
        error_messages={"required": gettext_lazy("Choose whether your number is an SSN or an EIN.")},
    )
    tin = forms.CharField(
        max_length=20, label=gettext_lazy("Number (SSN 123-45-6789 or EIN 12-3456789)"),
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "numeric", "spellcheck": "false"}),
        error_messages={"required": gettext_lazy("Give your SSN or EIN.")},
    )
    address = forms.CharField(
        max_length=500, label=gettext_lazy("Address (number, street, apt., city, state, ZIP code)"),
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": gettext_lazy("Give your address (number, street, city, state and ZIP code).")},
    )
    certified = forms.BooleanField(
        label=gettext_lazy(
            "Under penalties of perjury, I certify that the number shown is my correct taxpayer identification "
            "number, that I am not subject to backup withholding, and that I am a U.S. citizen or other U.S. person."
        ),
        error_messages={"required": gettext_lazy("Tick the certification: a W-9 is valid only when you certify it.")},
    )

    def clean(self):
        data = super().clean()
        if data.get("tin_type") and data.get("tin"):
            try:
                tin_compact(tin_type=data["tin_type"], tin=data["tin"])
            except InvalidInput as error:
                self.add_error("tin", error.message)
        return data

    def values(self) -> dict:
        """The keyword arguments of incentives.services.w9.w9_submit."""
        return {name: self.cleaned_data[name] for name in ("legal_name", "tin_type", "tin", "address", "certified")}
