"""Money as integer minor units plus an ISO 4217 currency; never floats.

Babel supplies each currency's number of decimals (JPY 0, USD 2, KWD 3) and its formatting.
Loyalty points (`PTS`, whole points, shown "1,500 pts") are the one unit that is not a
currency: rewards may be earned in them, and they never mix with money.

Amounts are shown in the active language's way (Babel's CLDR data): "$1,234.50" in English,
"1 234,50 $US" in French ("1 234,50 €" for euros). Inputs, CSV and the API keep `plain()`.
"""

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from babel.numbers import format_currency, format_decimal, get_currency_precision
from django.utils import translation
from django.utils.translation import gettext as _

from tenancy.currencies import money_currencies


# Whole units above 10^12 are refused: far beyond any incentive, far below BIGINT's limit.
MAX_DIGITS = 12
# What a person means by an amount: ASCII digits 0-9, at most one decimal point, and commas only
# between groups of three digits ("1,234.50"). Everything Python's Decimal would also read is
# refused: exponents ("5e2"), underscores ("1_000"), other scripts' digits ("١٢٣"), a plus sign,
# and a decimal comma ("12,50", as European spreadsheets write it, never read as 1250).
AMOUNT = re.compile(r"-?(?:[0-9]+|[0-9]{1,3}(?:,[0-9]{3})+)(?:\.[0-9]*)?|\.[0-9]+")


POINTS = "PTS"


class MoneyError(ValueError):
    """Bad money input; the message is written for people."""


def check_currency(currency: str) -> str:
    code = (currency or "").strip().upper()
    if code != POINTS and code not in money_currencies():
        raise MoneyError(
            _("“%(currency)s” is not an ISO 4217 currency in use (nor %(points)s, points).") % {"currency": currency, "points": POINTS}
        )
    return code


def decimals(currency: str) -> int:
    return 0 if currency == POINTS else get_currency_precision(currency)


@dataclass(frozen=True, slots=True)
class Money:
    amount_minor: int
    currency: str

    def __post_init__(self):
        if isinstance(self.amount_minor, bool) or not isinstance(self.amount_minor, int):
            raise MoneyError(_("Amounts are whole numbers of minor units (cents)."))
        object.__setattr__(self, "currency", check_currency(self.currency))

    @classmethod
    def parse(cls, text: str, currency: str) -> "Money":
        """'12.50' USD -> 1250; refuses more decimals than the currency has."""
        currency = check_currency(currency)
        cleaned = str(text).strip()
        if not AMOUNT.fullmatch(cleaned):
            raise MoneyError(
                _(
                    "“%(text)s” is not an amount: write decimals with a point, digits 0-9 only (1250.50), "
                    "commas only between thousands (1,250.50)."
                )
                % {"text": text}
            )
        try:
            value = Decimal(cleaned.replace(",", ""))
        except InvalidOperation:  # not reached: the pattern admits only what Decimal reads
            raise MoneyError(_("“%(text)s” is not an amount.") % {"text": text}) from None
        if value.adjusted() >= MAX_DIGITS:
            raise MoneyError(_("“%(text)s” is too large an amount.") % {"text": text})
        scaled = value.scaleb(decimals(currency))
        if scaled != scaled.to_integral_value():
            raise MoneyError(
                _("%(currency)s amounts have at most %(decimals)s decimals.") % {"currency": currency, "decimals": decimals(currency)}
            )
        return cls(int(scaled), currency)

    @property
    def decimal(self) -> Decimal:
        return Decimal(self.amount_minor).scaleb(-decimals(self.currency))

    def plain(self) -> str:
        """'1234.50': the decimal with exactly the currency's places, for CSV and inputs."""
        return f"{self.decimal:.{decimals(self.currency)}f}"

    def __str__(self) -> str:
        locale = babel_locale()
        if self.currency == POINTS:
            return _("%(points)s pts") % {"points": format_decimal(self.amount_minor, locale=locale)}
        return format_currency(self.decimal, self.currency, locale=locale)

    def _same_currency(self, other: "Money") -> None:
        if not isinstance(other, Money):
            raise TypeError("Money can only be combined with Money.")  # a programming error: not for people
        if other.currency != self.currency:
            raise MoneyError(_("Can't combine %(one)s and %(other)s amounts.") % {"one": self.currency, "other": other.currency})

    def __add__(self, other: "Money") -> "Money":
        self._same_currency(other)
        return Money(self.amount_minor + other.amount_minor, self.currency)

    def __sub__(self, other: "Money") -> "Money":
        self._same_currency(other)
        return Money(self.amount_minor - other.amount_minor, self.currency)

    def __mul__(self, count: int) -> "Money":
        return Money(self.amount_minor * count, self.currency)


def babel_locale() -> str:
    """The active language as a Babel locale ("en", "fr"); English outside a request."""
    return translation.to_locale(translation.get_language() or "en")


def format_number(value, decimal_places: int | None = None) -> str:
    """1234.5 -> "1,234.5" in English, "1 234,5" in French."""
    if decimal_places is not None:
        return format_decimal(value, format=f"#,##0.{'0' * decimal_places}" if decimal_places else "#,##0", locale=babel_locale())
    return format_decimal(value, locale=babel_locale())


def format_money(amount_minor: int, currency: str) -> str:
    return str(Money(amount_minor, currency))


def require_positive(money: Money) -> Money:
    if money.amount_minor <= 0:
        raise MoneyError(_("The amount must be greater than zero."))
    return money
