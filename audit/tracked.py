"""What the audit log tracks: every table whose rows are state someone changes.

Each entry: the model, the object its history belongs to as well (column, object type), and
its "quiet" columns, whose change alone is no event. A table starts being tracked by a migration
that runs `audit.sql.install(...)` with the same values; tests/audit/test_coverage.py checks the
database's triggers against this list, and that every tenant-owned model is either here or in
NOT_TRACKED with the reason.
"""

from typing import NamedTuple


class Tracked(NamedTuple):
    model: str  # app_label.ModelName
    parent: tuple[str, str] | None = None
    quiet: tuple[str, ...] = ()
    org_column: str = "organization_id"


TRACKED = [
    Tracked("tenancy.Organization", org_column="id"),  # its settings and policies
    Tracked("tenancy.Membership"),
    Tracked("tenancy.ApiKey", quiet=("last_used_at",)),
    Tracked("budgets.Budget"),
    Tracked("budgets.LedgerTransaction", parent=("budget_id", "budgets.budget")),
    Tracked("studies.Study"),
    Tracked("studies.Participant"),
    Tracked("studies.StudyParticipant", parent=("study_id", "studies.study")),
    Tracked("incentives.Incentive", parent=("study_id", "studies.study"), quiet=("claim_email_id", "release_transaction_id")),
    Tracked("offers.ProviderProfile"),
    Tracked("offers.IncentiveProgram"),
    Tracked("offers.LinkTemplate"),
    Tracked("offers.Offer", quiet=("last_activity_at",)),
    Tracked("offers.OfferMember", parent=("offer_id", "offers.offer")),
    Tracked("offers.Message", parent=("offer_id", "offers.offer")),
    Tracked("offers.Distribution", parent=("offer_id", "offers.offer")),
    Tracked("rewards.RewardAccount"),
    Tracked("rewards.Advocate", parent=("account_id", "rewards.rewardaccount")),
    Tracked("rewards.Reward", parent=("account_id", "rewards.rewardaccount")),
    Tracked("rewards.Redemption", parent=("reward_id", "rewards.reward")),
    Tracked("webhooks.WebhookEndpoint"),
    Tracked("jobs.BackgroundJob", quiet=("processed", "done_count", "skipped_count", "failed_count", "summary")),
    Tracked("tenancy.TaxThreshold"),
    Tracked("approvals.Approval"),
    Tracked("rewards.RewardProgram"),
    Tracked("payouts.PayoutBatch"),
    Tracked("payouts.Payout", parent=("batch_id", "payouts.payoutbatch")),
    Tracked("incentives.W9Submission", parent=("incentive_id", "incentives.incentive")),
    # No organization column: where their organizations are (audit/sql.py).
    Tracked("tenancy.User", quiet=("last_login",), org_column="tenancy_membership.user_id=id"),
    Tracked("studies.Study_owners", parent=("study_id", "studies.study"), org_column="studies_study.id=study_id"),
]

NOT_TRACKED = {
    "audit.AuditEvent": "the log itself",
    "budgets.LedgerAccount": "cached balances, moved only with a tracked ledger transaction",
    "budgets.LedgerEntry": "the lines of a tracked ledger transaction, append-only themselves",
    "core.OutboundEmail": "the outbox: its own page is the log of emails",
    "core.IdempotencyRecord": "one-time keys of forms and API calls",
    "offers.OfferEvent": "the offer's timeline (domain data); the offer's changes are tracked",
    "rewards.RewardBalance": "cached balances, moved only with a tracked reward change",
    "rewards.RewardEvent": "the reward's timeline (domain data); the reward's changes are tracked",
    "rewards.AdvocateEvent": "the advocate's W-9 history (domain data, append-only); the advocate's changes are tracked",
    "webhooks.WebhookEvent": "what was sent to receivers: the delivery log",
    "webhooks.WebhookDelivery": "the delivery log",
}
