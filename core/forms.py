from django import forms

from .money import Money, MoneyError, require_positive


class AmountField(forms.CharField):
    """A decimal amount typed by a person ('12.50'), cleaned to a positive Money.

    The form sets `currency` (often from the budget it concerns) before validation.
    """

    def __init__(self, *, currency: str = "USD", **kwargs):
        kwargs.setdefault("widget", forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}))
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
