from django import forms
from django.utils.translation import gettext_lazy as _

from .errors import InvalidInput
from .money import Money, MoneyError, require_positive


# Digits, commas and one decimal point: the browser stops "-5", "1e3" or "abc" at the box; a comma in
# the wrong place ("12,50") reaches the server, whose message says how to write it.
AMOUNT_PATTERN = r"\s*[0-9][0-9,]*(\.[0-9]*)?\s*"


class AmountField(forms.CharField):
    """A decimal amount typed by a person ('12.50'), cleaned to a positive Money.

    The form sets `currency` (often from the budget it concerns) before validation.
    """

    def __init__(self, *, currency: str = "USD", **kwargs):
        attrs = {"inputmode": "decimal", "autocomplete": "off", "pattern": AMOUNT_PATTERN, "title": _("An amount such as 250.00")}
        kwargs.setdefault("widget", forms.TextInput(attrs=attrs))
        super().__init__(**kwargs)
        self.currency = currency

    def prepare_value(self, value):
        return value.plain() if isinstance(value, Money) else value

    def to_python(self, value):
        text = super().to_python(value)
        if text in self.empty_values:
            return None
        try:
            return require_positive(Money.parse(text, self.currency))
        except MoneyError as error:
            raise forms.ValidationError(str(error)) from None


def posted_text(request, name: str, *, label: str) -> str:
    """A text posted without a form, cleaned as a form's CharField cleans it (stripped; a NUL
    character refused, which PostgreSQL can't store): InvalidInput says what is wrong."""
    try:
        return forms.CharField(required=False).clean(request.POST.get(name, ""))
    except forms.ValidationError as error:
        raise InvalidInput(_("%(label)s: %(errors)s") % {"label": label, "errors": " ".join(error.messages)}) from None
