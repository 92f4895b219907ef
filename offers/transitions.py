"""The offer workflow: every status and the one table of allowed transitions.

Each transition names who may make it: the provider (a writer of the organization), the
recipient (on their token page) or the system (Celery beat). `offers.services.offer_transition`
is the only code that changes an offer's status, and it refuses anything not in this table.
docs/offers.md draws the same table as a state diagram (a test keeps the two in step).
"""

from dataclasses import dataclass

from django.db import models

from core.errors import DomainError


class Status(models.TextChoices):
    DRAFT = "draft", "Draft"
    OFFERED = "offered", "Offered"
    NEEDS_INFO = "needs_info", "Needs Info"
    INFO_PROVIDED = "info_provided", "Info Provided"
    COUNTER = "counter", "Counter"
    APPROVED = "approved", "Approved"
    PARTIAL_GRANTED = "partial_granted", "Partial Granted"
    APPROVED_CONFIRMED = "approved_confirmed", "Approved Confirmed"
    PRE_CLAIMED = "pre_claimed", "Pre Claimed"
    CLAIMED = "claimed", "Claimed"
    REQUIRES_REVISION = "requires_revision", "Requires Revision"
    COMPLETED = "completed", "Completed"
    REJECTED = "rejected", "Rejected"
    CANCELLED = "cancelled", "Cancelled"
    EXPIRED = "expired", "Expired"
    NO_RESPONSE = "no_response", "No Response"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"


class Party(models.TextChoices):
    """Which side of an offer moves it (recorded as an event's actor_kind); the person who
    acts, where there is one, is the service's `actor`."""

    PROVIDER = "provider", "Provider"
    RECIPIENT = "recipient", "Recipient"
    SYSTEM = "system", "System"


@dataclass(frozen=True)
class Transition:
    source: str
    target: str
    actors: frozenset[str]
    label: str  # the button people press


S, A = Status, Party
P, R, SYS = frozenset({A.PROVIDER}), frozenset({A.RECIPIENT}), frozenset({A.SYSTEM})

TRANSITIONS: tuple[Transition, ...] = (
    Transition(S.DRAFT, S.OFFERED, P, "Send"),
    Transition(S.DRAFT, S.CANCELLED, P, "Cancel offer"),
    Transition(S.OFFERED, S.APPROVED, R, "Accept"),
    Transition(S.OFFERED, S.COUNTER, R, "Counter"),
    Transition(S.OFFERED, S.REJECTED, R, "Reject"),
    Transition(S.OFFERED, S.NEEDS_INFO, P, "Request info"),
    Transition(S.OFFERED, S.CANCELLED, P, "Cancel offer"),
    Transition(S.OFFERED, S.EXPIRED, SYS, "Expire"),
    Transition(S.OFFERED, S.NO_RESPONSE, SYS, "Mark no response"),
    Transition(S.NEEDS_INFO, S.INFO_PROVIDED, R, "Provide info"),
    Transition(S.NEEDS_INFO, S.CANCELLED, P, "Cancel offer"),
    Transition(S.NEEDS_INFO, S.EXPIRED, SYS, "Expire"),
    Transition(S.NEEDS_INFO, S.NO_RESPONSE, SYS, "Mark no response"),
    Transition(S.INFO_PROVIDED, S.APPROVED, P, "Approve"),
    Transition(S.INFO_PROVIDED, S.PARTIAL_GRANTED, P, "Grant in part"),
    Transition(S.INFO_PROVIDED, S.NEEDS_INFO, P, "Request more info"),
    Transition(S.INFO_PROVIDED, S.REJECTED, P, "Reject"),
    Transition(S.INFO_PROVIDED, S.CANCELLED, P, "Cancel offer"),
    Transition(S.INFO_PROVIDED, S.EXPIRED, SYS, "Expire"),
    Transition(S.COUNTER, S.APPROVED, P, "Accept counter"),
    Transition(S.COUNTER, S.PARTIAL_GRANTED, P, "Grant in part"),
    Transition(S.COUNTER, S.NEEDS_INFO, P, "Request info"),
    Transition(S.COUNTER, S.REJECTED, P, "Reject counter"),
    Transition(S.COUNTER, S.CANCELLED, P, "Cancel offer"),
    Transition(S.COUNTER, S.EXPIRED, SYS, "Expire"),
    Transition(S.PARTIAL_GRANTED, S.APPROVED_CONFIRMED, R, "Accept"),
    Transition(S.PARTIAL_GRANTED, S.COUNTER, R, "Counter"),
    Transition(S.PARTIAL_GRANTED, S.REJECTED, R, "Reject"),
    Transition(S.PARTIAL_GRANTED, S.CANCELLED, P, "Cancel offer"),
    Transition(S.PARTIAL_GRANTED, S.EXPIRED, SYS, "Expire"),
    Transition(S.PARTIAL_GRANTED, S.NO_RESPONSE, SYS, "Mark no response"),
    Transition(S.APPROVED, S.APPROVED_CONFIRMED, P, "Confirm approval"),
    Transition(S.APPROVED, S.PRE_CLAIMED, R, "Claim"),
    Transition(S.APPROVED, S.CANCELLED, P, "Cancel offer"),
    Transition(S.APPROVED, S.EXPIRED, SYS, "Expire"),
    Transition(S.APPROVED_CONFIRMED, S.PRE_CLAIMED, R, "Claim"),
    Transition(S.APPROVED_CONFIRMED, S.CANCELLED, P, "Cancel offer"),
    Transition(S.APPROVED_CONFIRMED, S.EXPIRED, SYS, "Expire"),
    Transition(S.PRE_CLAIMED, S.CLAIMED, P, "Confirm claim"),
    Transition(S.PRE_CLAIMED, S.REQUIRES_REVISION, P, "Ask for revision"),
    Transition(S.REQUIRES_REVISION, S.PRE_CLAIMED, R, "Resubmit claim"),
    Transition(S.REQUIRES_REVISION, S.CANCELLED, P, "Cancel offer"),
    Transition(S.REQUIRES_REVISION, S.NO_RESPONSE, SYS, "Mark no response"),
    Transition(S.CLAIMED, S.COMPLETED, P, "Mark completed"),
    Transition(S.COMPLETED, S.ACKNOWLEDGED, P | R, "Acknowledge"),
    Transition(S.NO_RESPONSE, S.OFFERED, P, "Offer again"),
    Transition(S.NO_RESPONSE, S.CANCELLED, P, "Cancel offer"),
)

_BY_PAIR = {(t.source, t.target): t for t in TRANSITIONS}

# Offers in these statuses are still open: the recipient may act, and they can expire.
EXPIRABLE = frozenset(t.source for t in TRANSITIONS if t.target == S.EXPIRED)
# The ball is in the recipient's court: silence here becomes No Response.
AWAITING_RECIPIENT = frozenset(t.source for t in TRANSITIONS if t.target == S.NO_RESPONSE)
# These carry new terms: a counter (the recipient's) or a partial grant (the provider's).
TERMS_CHANGING = frozenset({S.COUNTER, S.PARTIAL_GRANTED})
FINAL = frozenset(s for s in S if not any(t.source == s for t in TRANSITIONS))


class TransitionNotAllowed(DomainError):
    """A refused status change."""

    code = "transition_not_allowed"


def transition_for(source: str, target: str) -> Transition | None:
    return _BY_PAIR.get((source, target))


def transitions_from(source: str, actor: str) -> list[Transition]:
    """What `actor` may do to an offer in `source`, in the table's order."""
    return [t for t in TRANSITIONS if t.source == source and actor in t.actors]


def check_transition(source: str, target: str, actor: str) -> Transition:
    """The table's entry for this change, or TransitionNotAllowed saying why not."""
    transition = transition_for(source, target)
    here, there = Status(source).label, Status(target).label
    if transition is None:
        raise TransitionNotAllowed(f"An offer can't go from {here} to {there}.")
    if actor not in transition.actors:
        who = " or ".join(Party(a).label.lower() for a in sorted(transition.actors))
        raise TransitionNotAllowed(f"Only the {who} can move an offer from {here} to {there}.")
    return transition
