from datetime import timedelta
from decimal import Decimal, InvalidOperation

from django import forms
from django.utils import timezone
from django.utils.translation import gettext as _, gettext_lazy, pgettext_lazy

from budgets.forms import COMMON_CURRENCIES
from core.forms import AmountField
from core.money import Money, MoneyError, check_currency, require_positive

from .models import MESSAGE_LIMIT, Distribution, IncentiveProgram, IncentiveType, LinkTemplate, Offer, OfferMember, ProviderProfile
from .transitions import TERMS_CHANGING, Status

CURRENCY_CHOICES = [(c, c) for c in COMMON_CURRENCIES]


def unique_name(form: forms.ModelForm, refusal: str) -> str:
    """The form's name, refused (with `refusal`) when another row of the organization has it already."""
    name = form.cleaned_data["name"].strip()
    model = type(form.instance)
    others = model.objects.for_org(form.instance.organization).filter(name__iexact=name).exclude(pk=form.instance.pk)
    if others.exists():
        raise forms.ValidationError(refusal)
    return name


class ProviderProfileForm(forms.ModelForm):
    class Meta:
        model = ProviderProfile
        fields = ["display_name", "contact_email", "website", "description", "no_response_after_days", "notify"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3}), "notify": forms.RadioSelect}
        labels = {
            "display_name": gettext_lazy("Display name"), "contact_email": gettext_lazy("Contact email"),
            "website": gettext_lazy("Website"), "description": gettext_lazy("Description"),
            "no_response_after_days": gettext_lazy("No response after days"),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["notify"].required = False

    def clean_notify(self):
        return self.cleaned_data["notify"] or ProviderProfile.Notify.EACH


class ProgramForm(forms.ModelForm):
    incentive_types = forms.MultipleChoiceField(
        choices=IncentiveType.choices, widget=forms.CheckboxSelectMultiple, label=gettext_lazy("Incentive types"),
        help_text=gettext_lazy("Offers of this program may use these."),
    )

    class Meta:
        model = IncentiveProgram
        fields = ["name", "description", "active", "incentive_types", "default_expiry_days"]
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}
        labels = {
            "name": gettext_lazy("Name"), "description": gettext_lazy("Description"), "active": gettext_lazy("Active"),
            "default_expiry_days": gettext_lazy("Default expiry days"),
        }

    def __init__(self, *args, organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.organization = organization

    def clean_name(self):
        return unique_name(self, _("A program with this name exists already."))


def parse_value(text: str, *, incentive_type: str, currency: str) -> Money | Decimal:
    """'25.00' -> Money in the currency; '15%' -> Decimal('15') (discounts only)."""
    text = (text or "").strip()
    if not text:
        raise forms.ValidationError(_("Give a value."))
    if text.endswith("%"):
        if incentive_type != IncentiveType.DISCOUNT:
            raise forms.ValidationError(_("Only discounts can be a percentage; give an amount."))
        try:
            percent = Decimal(text[:-1].strip())
        except InvalidOperation:
            raise forms.ValidationError(_("“%(text)s” is not a percentage.") % {"text": text}) from None
        if not percent.is_finite() or not 0 < percent <= 100 or percent != percent.quantize(Decimal("0.01")):
            raise forms.ValidationError(_("A percentage is above 0 and at most 100, with at most 2 decimals."))
        return percent
    try:
        return require_positive(Money.parse(text, currency))
    except MoneyError as error:
        raise forms.ValidationError(str(error)) from None


class TermsMixin:
    """A `value` text field read as money in `currency`, or a percentage for discounts."""

    def clean(self):
        cleaned = super().clean()
        incentive_type = cleaned.get("incentive_type") or getattr(self, "fixed_type", None)
        currency = cleaned.get("currency") or getattr(self, "fixed_currency", "USD")
        if incentive_type and "value" in cleaned:
            try:
                cleaned["value"] = parse_value(cleaned["value"], incentive_type=incentive_type, currency=currency)
            except forms.ValidationError as error:
                self.add_error("value", error)
        program = cleaned.get("program")
        if program and incentive_type and incentive_type not in program.incentive_types:
            kind = IncentiveType(incentive_type).label.lower()
            self.add_error("incentive_type", _("The program %(program)s doesn't allow %(kind)s incentives.") % {"program": program, "kind": kind})
        if cleaned.get("is_group") and not cleaned.get("max_members"):
            self.add_error("max_members", _("Say how many members the group may have."))
        return cleaned


VALUE_HELP = gettext_lazy("An amount such as 25.00, or a percentage such as 15% (discounts only).")


class OfferForm(TermsMixin, forms.Form):
    program = forms.ModelChoiceField(queryset=IncentiveProgram.objects.none(), label=gettext_lazy("Program"))
    entity_type = forms.ChoiceField(choices=Offer._meta.get_field("entity_type").choices, label=gettext_lazy("Entity type"))
    stage = forms.ChoiceField(choices=Offer._meta.get_field("stage").choices, label=gettext_lazy("Stage"))
    incentive_type = forms.ChoiceField(choices=IncentiveType.choices, label=gettext_lazy("Incentive type"))
    currency = forms.ChoiceField(choices=CURRENCY_CHOICES, initial="USD", label=gettext_lazy("Currency"))
    value = forms.CharField(max_length=30, help_text=VALUE_HELP, label=gettext_lazy("Value"))
    is_group = forms.BooleanField(required=False, label=gettext_lazy("Group offer"))
    max_members = forms.IntegerField(required=False, min_value=2, max_value=10_000, label=gettext_lazy("Maximum members"))
    delivery = forms.ChoiceField(choices=Offer.Delivery.choices, widget=forms.RadioSelect, initial=Offer.Delivery.EMAIL,
                                 label=gettext_lazy("Delivery"))
    link_template = forms.ModelChoiceField(queryset=LinkTemplate.objects.none(), required=False, label=gettext_lazy("From link template"))
    recipient_name = forms.CharField(max_length=200, required=False, label=gettext_lazy("Recipient name"))
    recipient_email = forms.EmailField(required=False, label=gettext_lazy("Recipient email"))
    message = forms.CharField(widget=forms.Textarea(attrs={"rows": 3, "data-counter": ""}), required=False, max_length=MESSAGE_LIMIT,
                              label=gettext_lazy("Message"))
    expires_on = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), label=gettext_lazy("Expiry date"))

    def __init__(self, data=None, *args, organization, **kwargs):
        programs = IncentiveProgram.objects.for_org(organization).active()
        templates = LinkTemplate.objects.for_org(organization).select_related("program")
        data = self._with_template(data, templates)
        super().__init__(data, *args, **kwargs)
        self.fields["program"].queryset = programs
        self.fields["link_template"].queryset = templates
        # What the page's script needs to show only what applies (offers.js).
        self.choices_data = {
            "programs": {str(p.pk): p.incentive_types for p in programs},
            "templates": {str(t.pk): self.template_values(t) for t in templates},
        }
        # Only types some program allows; the script narrows them to the chosen program's
        # (and the clean refuses a type the program doesn't allow).
        offered = {t for p in programs for t in p.incentive_types}
        self.fields["incentive_type"].widget.choices = [(v, label) for v, label in IncentiveType.choices if v in offered]

    @staticmethod
    def template_values(template: LinkTemplate) -> dict:
        """A link template's fields as the form posts them."""
        return {
            "program": str(template.program_id), "incentive_type": template.incentive_type, "currency": template.currency,
            "value": template.value_display if template.percent else template.value.plain(),
            "is_group": template.is_group, "max_members": str(template.max_members) if template.is_group else "",
            "message": template.message,
            "expires_on": (timezone.localdate() + timedelta(days=template.expiry_days)).isoformat(),
        }

    @classmethod
    def _with_template(cls, data, templates):
        """A posted link offer "From link template" takes the template's values for what the
        form left empty (as "Customise…" prefills them), so choosing one is enough."""
        chosen = data.get("link_template", "") if data is not None else ""
        if not chosen.isdigit() or data.get("delivery") != Offer.Delivery.LINK:
            return data
        template = templates.filter(pk=chosen).first()
        if template is None:
            return data
        data, values = data.copy(), cls.template_values(template)
        customised = bool(data.get("value"))
        for key, value in values.items():
            if key == "is_group":
                if value and not customised:
                    data[key] = "on"
            elif not data.get(key):
                data[key] = value
        return data

    def clean_expires_on(self):
        expires_on = self.cleaned_data["expires_on"]
        if expires_on < timezone.localdate():
            raise forms.ValidationError(_("The expiry date is in the past."))
        return expires_on

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("delivery") == Offer.Delivery.EMAIL:
            if cleaned.get("is_group"):
                self.add_error("is_group", _("Group offers go out as a shareable link."))
            for field in ("recipient_name", "recipient_email"):
                if not cleaned.get(field) and field not in self.errors:
                    self.add_error(field, _("Needed for an offer sent by email."))
            cleaned["link_template"] = None
        return cleaned

    def offer_fields(self) -> dict:
        data = dict(self.cleaned_data)
        data["max_members"] = data["max_members"] if data["is_group"] else 1
        return data

    @classmethod
    def initial_from(cls, *, template: LinkTemplate | None, program: IncentiveProgram | None) -> dict:
        today = timezone.localdate()
        if template is not None:
            values = cls.template_values(template)
            return {**values, "program": template.program, "max_members": template.max_members if template.is_group else None,
                    "delivery": Offer.Delivery.LINK, "link_template": template, "expires_on": today + timedelta(days=template.expiry_days)}
        days = program.default_expiry_days if program else 30
        return {"program": program, "expires_on": today + timedelta(days=days)}

    @classmethod
    def initial_from_offer(cls, offer: Offer) -> dict:
        value = offer.value_display if offer.percent is not None else offer.value.plain()
        fields = ["program", "entity_type", "stage", "incentive_type", "currency", "is_group", "delivery",
                  "link_template", "recipient_name", "recipient_email", "message", "expires_on"]
        max_members = offer.max_members if offer.is_group else None
        return {**{f: getattr(offer, f) for f in fields}, "value": value, "max_members": max_members}


class LinkTemplateForm(TermsMixin, forms.ModelForm):
    currency = forms.ChoiceField(choices=CURRENCY_CHOICES, initial="USD", label=gettext_lazy("Currency"))
    value = forms.CharField(max_length=30, help_text=VALUE_HELP, label=gettext_lazy("Value"))
    max_members = forms.IntegerField(required=False, min_value=2, max_value=10_000, label=gettext_lazy("Maximum members"))

    class Meta:
        model = LinkTemplate
        fields = [
            "name", "program", "incentive_type", "currency", "value", "message", "expiry_days", "is_group", "max_members",
        ]
        widgets = {"message": forms.Textarea(attrs={"rows": 3, "data-counter": "", "maxlength": MESSAGE_LIMIT})}
        labels = {
            "name": gettext_lazy("Name"), "program": gettext_lazy("Program"), "incentive_type": gettext_lazy("Incentive type"),
            "message": gettext_lazy("Message"), "is_group": gettext_lazy("Group offer"),
            "expiry_days": gettext_lazy("Links expire after (days)"),
        }

    def __init__(self, *args, organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.organization = organization
        self.fields["program"].queryset = IncentiveProgram.objects.for_org(organization).active()
        if self.instance.pk:
            self.initial["value"] = self.instance.value_display if self.instance.percent else self.instance.value.plain()

    def clean_name(self):
        return unique_name(self, _("A link template with this name exists already."))

    def clean_message(self):
        message = self.cleaned_data["message"]
        if len(message) > MESSAGE_LIMIT:
            raise forms.ValidationError(_("At most %(limit)s characters; this has %(length)s.") % {
                "limit": f"{MESSAGE_LIMIT:,}", "length": f"{len(message):,}"})
        return message

    def _post_clean(self):
        # The model's amount/percent come from `value`, set by the service, not by the form.
        pass

    def template_fields(self) -> dict:
        data = {k: v for k, v in self.cleaned_data.items() if k not in {"value", "max_members"}}
        value = self.cleaned_data["value"]
        if isinstance(value, Money):
            data.update(amount_minor=value.amount_minor, currency=value.currency, percent=None)
        else:
            data.update(amount_minor=None, percent=value)
        data["max_members"] = self.cleaned_data["max_members"] if self.cleaned_data["is_group"] else 1
        return data


class TransitionForm(forms.Form):
    """A status change with an optional note, and new terms for a counter or partial grant."""

    to_status = forms.ChoiceField(choices=Status.choices, label=gettext_lazy("Status"))
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=MESSAGE_LIMIT, label=gettext_lazy("Note"))
    value = forms.CharField(max_length=30, required=False, label=gettext_lazy("Value you propose"))
    acknowledgement_name = forms.CharField(max_length=100, required=False, label=gettext_lazy("Name to show"))

    def __init__(self, *args, offer: Offer, **kwargs):
        super().__init__(*args, **kwargs)
        self.offer = offer

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("to_status") in TERMS_CHANGING:
            try:
                cleaned["terms"] = parse_value(
                    cleaned.get("value"), incentive_type=self.offer.incentive_type, currency=self.offer.currency
                )
            except forms.ValidationError as error:
                self.add_error("value", error)
        else:
            cleaned["terms"] = None
        return cleaned


class JoinForm(forms.Form):
    name = forms.CharField(max_length=200, label=gettext_lazy("Your name"))
    email = forms.EmailField(label=gettext_lazy("Your email"), help_text=gettext_lazy("We email you your personal link to this offer."))


class MessageForm(forms.Form):
    """A thread message; the provider's may change the status, and in a group goes to one
    member's private thread or to everyone."""

    to_member = forms.ModelChoiceField(
        queryset=OfferMember.objects.none(), required=False, empty_label=gettext_lazy("Everyone in the group"),
        label=pgettext_lazy("recipient", "To"),
    )
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 3, "data-counter": ""}), max_length=MESSAGE_LIMIT, label=gettext_lazy("Message"))
    to_status = forms.ChoiceField(required=False, label=gettext_lazy("And change the status to (tells everyone)"))

    def __init__(self, *args, choices=(), members=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_status"].choices = [("", _("Keep the status"))] + list(choices)
        if not choices:
            del self.fields["to_status"]
        if members is None:
            del self.fields["to_member"]
        else:
            self.fields["to_member"].queryset = members


class DistributionForm(forms.Form):
    amount = AmountField()
    distributed_on = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), label=gettext_lazy("Date"))
    method = forms.ChoiceField(choices=Distribution.Method.choices, label=gettext_lazy("Method"))
    reference = forms.CharField(max_length=200, required=False, label=gettext_lazy("Reference"),
                                help_text=gettext_lazy("e.g. the gift card number or transfer id"))
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False, label=gettext_lazy("Note"))
    overage_reason = forms.CharField(
        max_length=500, required=False, label=gettext_lazy("Reason for the overage"),
        help_text=gettext_lazy("Only to give more than the offer's value in all: say why."),
    )

    def __init__(self, *args, offer: Offer, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["amount"].currency = check_currency(offer.currency)
        self.fields["amount"].label = _("Amount (%(currency)s)") % {"currency": offer.currency}
        self.fields["distributed_on"].initial = timezone.localdate()
        # The service refuses dates before the offer was made (services.distribution_record).
        self.fields["distributed_on"].widget.attrs.update(min=f"{timezone.localdate(offer.created_at):%Y-%m-%d}", max=f"{timezone.localdate():%Y-%m-%d}")

    def clean_distributed_on(self):
        day = self.cleaned_data["distributed_on"]
        if day > timezone.localdate():
            raise forms.ValidationError(_("A distribution can't be dated in the future."))
        return day


class ExpiryForm(forms.Form):
    expires_on = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), label=gettext_lazy("New expiry date"))
