"""What approving or rejecting each kind of request does: kind -> (run, release) by dotted path.

`run(*, approval, actor)` makes the payment as if it were made now (emails, webhooks, the
ledger) and returns a sentence saying what it did; `release(*, approval, actor)` gives back
what the request reserved and returns the ledger transaction that did it, or None. Both are
called inside the approval's transaction with its row locked; a DomainError either raises
leaves the request waiting. Handlers are named by dotted path because the apps that own them
(incentives, offers, rewards) sit above this one (docs/architecture.md, layers).
"""

from django.utils.module_loading import import_string

from .models import Approval

Kind = Approval.Kind

KINDS = {
    Kind.INCENTIVES_SEND: ("incentives.services.approval_run", "incentives.services.approval_release"),
    Kind.BUDGET_WITHDRAWAL: ("approvals.withdrawals.approval_run", "approvals.withdrawals.approval_release"),
    Kind.REWARDS_BULK: ("rewards.services.bulk.approval_run", "rewards.services.bulk.approval_release"),
    Kind.REWARDS_BULK_CREATE: ("rewards.services.bulk.approval_run_create", "rewards.services.bulk.approval_release_create"),
    Kind.OFFER_GRANT: ("offers.services.approval_run", "offers.services.approval_release"),
}


def handler(kind: str, which: str):
    run, release = KINDS[kind]
    return import_string(run if which == "run" else release)
