"""The files a manual batch is paid with.

- Euro bank transfers: one SEPA credit transfer (pain.001.001.03) made and validated against
  its XML schema by `sepaxml`; each transaction's end-to-end id is the payout's idempotency key.
- Other bank transfers and gift cards: a CSV in the column layout of a bulk-order upload
  (recipient name and email, amount, currency, an external id that is the payout's key).
- Charity donations: one CSV per charity.

Every cell goes through core.csv's escaper. Details come from the sealed store; once erased
(the organization's days after payment) the file can no longer be made, and says so.
"""

import csv
import io
from collections import defaultdict

from django.utils import timezone
from django.utils.translation import gettext as _
from sepaxml import SepaTransfer
from sepaxml.validation import ValidationError as SepaValidationError

from core.csv import safe_cell
from core.errors import DomainError
from core.money import Money

from .models import Payout, PayoutBatch

BULK_HEADER = ["recipient_name", "recipient_email", "amount", "currency_code", "external_id", "message"]
BANK_HEADER = BULK_HEADER + ["account_holder", "account_number", "bic"]
CHARITY_HEADER = ["charity", "donor_name", "amount", "currency_code", "external_id"]


class PayoutFileError(DomainError):
    code = "payout_file"
    status = 409


def _payouts(batch: PayoutBatch):
    return (
        Payout.objects.for_org(batch.organization)
        .filter(batch=batch, status__in=Payout.LIVE)
        .select_related("incentive__participant")
        .order_by("pk")
    )


def _details(payout: Payout) -> dict:
    details = payout.incentive.payout_details
    if not details:
        raise PayoutFileError(
            _("The payout details of payout %(number)s have been erased; this file can no longer be made.") % {"number": payout.pk}
        )
    return details


def _decimal(payout: Payout) -> str:
    return Money(payout.amount_minor, payout.currency).plain()


def _csv(header, rows) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows([safe_cell(cell) for cell in row] for row in rows)
    return out.getvalue().encode()


def sepa_file(batch: PayoutBatch) -> bytes:
    organization = batch.organization
    if not organization.sepa_debtor_iban:
        raise PayoutFileError(_("Set the paying account (SEPA holder, IBAN and BIC) in Settings first."))
    config = {"name": organization.sepa_debtor_name or organization.name, "IBAN": organization.sepa_debtor_iban,
              "batch": True, "currency": "EUR"}
    if organization.sepa_debtor_bic:
        config["BIC"] = organization.sepa_debtor_bic
    transfer = SepaTransfer(config, clean=True)
    today = timezone.localdate()
    for payout in _payouts(batch):
        details = _details(payout)
        payment = {
            "name": details["account_holder"],
            "IBAN": details["iban"],
            "amount": payout.amount_minor,
            "execution_date": today,
            "description": f"{organization.name}: thank you ({payout.incentive.study_id}-{payout.incentive_id})",
            "endtoend_id": payout.idempotency_key,
        }
        if details.get("bic"):
            payment["BIC"] = details["bic"]
        transfer.add_payment(payment)
    try:
        return transfer.export(validate=True)
    except SepaValidationError as error:
        raise PayoutFileError(_("The SEPA file did not validate against its schema: %(error)s") % {"error": error.__cause__}) from None


def bulk_csv(batch: PayoutBatch) -> bytes:
    """Gift cards and non-euro bank transfers."""
    rows = []
    for payout in _payouts(batch):
        details, participant = _details(payout), payout.incentive.participant
        email = details.get("gift_card_email") or participant.email
        row = [participant.name, email, _decimal(payout), payout.currency, payout.idempotency_key,
               f"Thank you from {batch.organization.name}"]
        if batch.method == "bank_transfer":
            row += [details.get("account_holder", ""), details.get("iban", ""), details.get("bic", "")]
        rows.append(row)
    return _csv(BANK_HEADER if batch.method == "bank_transfer" else BULK_HEADER, rows)


def charity_csvs(batch: PayoutBatch) -> dict[str, bytes]:
    """One CSV per charity, by charity name (as the participants wrote it)."""
    by_charity = defaultdict(list)
    for payout in _payouts(batch):
        charity = _details(payout)["charity_name"]
        by_charity[charity].append(
            [charity, payout.incentive.participant.name, _decimal(payout), payout.currency, payout.idempotency_key]
        )
    return {charity: _csv(CHARITY_HEADER, rows) for charity, rows in sorted(by_charity.items())}


def charity_names(batch: PayoutBatch) -> list[str]:
    """The charities of a charity batch, in file order (one CSV each)."""
    return list(charity_csvs(batch))


def batch_files(batch: PayoutBatch) -> list[tuple[str, str, bytes]]:
    """(filename, content type, content) of each file that pays the batch."""
    stem = f"payout-batch-{batch.pk}"
    if batch.is_sepa:
        return [(f"{stem}-sepa.xml", "application/xml", sepa_file(batch))]
    if batch.method == "charity":
        return [
            (f"{stem}-charity-{index}.csv", "text/csv", content)
            for index, (_, content) in enumerate(charity_csvs(batch).items(), start=1)
        ]
    return [(f"{stem}-{batch.method.replace('_', '-')}-{batch.currency.lower()}.csv", "text/csv", bulk_csv(batch))]
