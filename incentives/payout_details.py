"""Payout details: which fields each method asks, how they are checked, sealed and masked.

Bank details are checked with schwifty (IBAN checksum and country format, BIC format); euro
transfers need an IBAN in the SEPA zone, since they are paid in a SEPA credit-transfer file.
"""

from django.utils.translation import gettext as _
from schwifty import BIC, IBAN
from schwifty.exceptions import SchwiftyException

from core import crypto
from core.errors import InvalidInput

# The fields each payout method asks for, in the order the claim page shows them.
FIELDS = {
    "gift_card": ["gift_card_email"],
    "bank_transfer": ["account_holder", "iban", "bic"],
    "charity": ["charity_name"],
}
OPTIONAL = {"bic"}
MASKS = {
    "iban": crypto.mask_account,
    "account_holder": crypto.mask_name,
    "gift_card_email": crypto.mask_email,
}


class PayoutDetailsInvalid(InvalidInput):
    """Details that can't pay anyone; `field` names the one at fault."""

    code = "invalid_payout_details"

    def __init__(self, message, *, field):
        super().__init__(message)
        self.field = field


def clean_bank_details(*, iban: str, bic: str, currency: str) -> tuple[str, str]:
    """The IBAN (or, outside the euro, an account number) and BIC in their compact forms, or
    PayoutDetailsInvalid saying what is wrong."""
    compact = "".join(iban.split()).upper()
    looks_like_iban = len(compact) > 4 and compact[:2].isalpha() and compact[2:4].isdigit()
    if currency == "EUR" or looks_like_iban:
        try:
            parsed = IBAN(compact)
        except SchwiftyException:
            raise PayoutDetailsInvalid(
                _("This IBAN is not valid: check each character against your bank's statement."), field="iban"
            ) from None
        if currency == "EUR" and not parsed.in_sepa_zone:
            raise PayoutDetailsInvalid(
                _("Euro transfers go to IBANs in the SEPA zone; this one is not."), field="iban"
            )
        compact = parsed.compact
    elif not (compact.isalnum() and 4 <= len(compact) <= 34):
        raise PayoutDetailsInvalid(_("Write your IBAN or account number: letters and digits only."), field="iban")
    bic = "".join(bic.split()).upper()
    if bic:
        try:
            bic = str(BIC(bic))
        except SchwiftyException:
            raise PayoutDetailsInvalid(_("This BIC is not valid: it has 8 or 11 letters and digits."), field="bic") from None
    return compact, bic


def cleaned(*, method: str, values: dict, currency: str) -> dict:
    """The method's details, stripped and checked; PayoutDetailsInvalid names the field at fault."""
    if method not in FIELDS:
        raise PayoutDetailsInvalid(_("Choose one of the payout methods offered."), field="payout_method")
    details = {name: " ".join(str(values.get(name) or "").split()) for name in FIELDS[method]}
    for name, value in details.items():
        if not value and name not in OPTIONAL:
            raise PayoutDetailsInvalid(_("Please fill this in for the payout method you chose."), field=name)
    if method == "bank_transfer":
        details["iban"], details["bic"] = clean_bank_details(iban=details["iban"], bic=details["bic"], currency=currency)
    return {name: value for name, value in details.items() if value}


def sealed_and_masked(details: dict) -> tuple[str, dict]:
    """What the database keeps: the details sealed, and their masked form."""
    masked = {name: MASKS.get(name, str)(value) for name, value in details.items()}
    return crypto.seal(details), masked
