"""Payout providers behind one small interface (docs/payouts.md).

A provider pays payouts: `send(payouts)` hands it a batch's payouts and answers one result
each; `status(payout)` asks again about one. The organization chooses a provider per payout
method in Settings (`Organization.payout_providers`); the services apply the results (a "sent"
result moves the money payable -> paid out, "failed" makes it owed again), so an adapter only
speaks to its provider. It must pass `payout.idempotency_key` as the provider's idempotency key,
so a retried send pays once.

Built in is the manual batch provider: nothing leaves by itself. A person downloads the batch's
file (a SEPA credit transfer, or a CSV for a bulk upload), pays it at the bank or provider, and
marks the batch sent on the Payouts page.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class PayoutResult:
    payout_id: int
    status: str  # "pending" (waiting: a person or the provider confirms later), "sent", "failed"
    reference: str = ""  # the provider's id for it
    reason: str = ""  # why it failed, in the provider's words


class PayoutProvider(Protocol):
    name: str
    label: str

    def send(self, payouts: Sequence) -> list[PayoutResult]: ...

    def status(self, payout) -> PayoutResult: ...


class ManualBatchProvider:
    """The batch's file is the payment order; a person pays it and says so."""

    name = "manual"
    label = _("Manual batch: download a file, pay it at your bank or provider, mark it sent")

    def send(self, payouts: Sequence) -> list[PayoutResult]:
        return [PayoutResult(payout.pk, "pending") for payout in payouts]

    def status(self, payout) -> PayoutResult:
        return PayoutResult(payout.pk, payout.status, payout.provider_reference, payout.reason)


PROVIDERS: dict[str, PayoutProvider] = {"manual": ManualBatchProvider()}


def provider_choices() -> list[tuple[str, str]]:
    return [(name, provider.label) for name, provider in PROVIDERS.items()]


def provider_for(organization, method: str) -> PayoutProvider:
    return PROVIDERS.get(organization.payout_provider_for(method), PROVIDERS["manual"])
