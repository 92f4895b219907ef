"""The offer workflow: every status and the one table of allowed transitions.

Each transition names who may make it: the provider (a writer of the organization), the
recipient (on their token page) or the system (Celery beat). `offers.services.offer_transition`
is the only code that changes an offer's status, and it refuses anything not in this table.
docs/offers.md draws the same table as a state diagram (a test keeps the two in step).
"""

from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext as _, pgettext_lazy

from core.errors import DomainError


class Status(models.TextChoices):
    DRAFT = "draft", pgettext_lazy("offer status", "Draft")
    OFFERED = "offered", pgettext_lazy("offer status", "Offered")
    NEEDS_INFO = "needs_info", pgettext_lazy("offer status", "Needs Info")
    INFO_PROVIDED = "info_provided", pgettext_lazy("offer status", "Info Provided")
    COUNTER = "counter", pgettext_lazy("offer status", "Counter")
    APPROVED = "approved", pgettext_lazy("offer status", "Approved")
    PARTIAL_GRANTED = "partial_granted", pgettext_lazy("offer status", "Partial Granted")
    APPROVED_CONFIRMED = "approved_confirmed", pgettext_lazy("offer status", "Approved Confirmed")
    PRE_CLAIMED = "pre_claimed", pgettext_lazy("offer status", "Pre Claimed")
    CLAIMED = "claimed", pgettext_lazy("offer status", "Claimed")
    REQUIRES_REVISION = "requires_revision", pgettext_lazy("offer status", "Requires Revision")
    COMPLETED = "completed", pgettext_lazy("offer status", "Completed")
    REJECTED = "rejected", pgettext_lazy("offer status", "Rejected")
    CANCELLED = "cancelled", pgettext_lazy("offer status", "Cancelled")
    EXPIRED = "expired", pgettext_lazy("offer status", "Expired")
    NO_RESPONSE = "no_response", pgettext_lazy("offer status", "No Response")
    ACKNOWLEDGED = "acknowledged", pgettext_lazy("offer status", "Acknowledged")


class Party(models.TextChoices):
    """Which side of an offer moves it (recorded as an event's actor_kind); the person who
    acts, where there is one, is the service's `actor`."""

    PROVIDER = "provider", pgettext_lazy("party", "Provider")
    RECIPIENT = "recipient", pgettext_lazy("party", "Recipient")
    SYSTEM = "system", pgettext_lazy("party", "System")


@dataclass(frozen=True)
class Transition:
    source: str
    target: str
    actors: frozenset[str]
    label: str  # the button people press (lazy: in the language of the page)


S, A = Status, Party
P, R, SYS = frozenset({A.PROVIDER}), frozenset({A.RECIPIENT}), frozenset({A.SYSTEM})

TRANSITIONS: tuple[Transition, ...] = (
    Transition(S.DRAFT, S.OFFERED, P, pgettext_lazy("offer action", "Send")),
    Transition(S.DRAFT, S.CANCELLED, P, pgettext_lazy("offer action", "Cancel offer")),
    Transition(S.OFFERED, S.APPROVED, R, pgettext_lazy("offer action", "Accept")),
    Transition(S.OFFERED, S.COUNTER, R, pgettext_lazy("offer action", "Counter")),
    Transition(S.OFFERED, S.REJECTED, R, pgettext_lazy("offer action", "Reject")),
    Transition(S.OFFERED, S.NEEDS_INFO, P, pgettext_lazy("offer action", "Request info")),
    Transition(S.OFFERED, S.CANCELLED, P, pgettext_lazy("offer action", "Cancel offer")),
    Transition(S.OFFERED, S.EXPIRED, SYS, pgettext_lazy("offer action", "Expire")),
    Transition(S.OFFERED, S.NO_RESPONSE, SYS, pgettext_lazy("offer action", "Mark no response")),
    Transition(S.NEEDS_INFO, S.INFO_PROVIDED, R, pgettext_lazy("offer action", "Provide info")),
    Transition(S.NEEDS_INFO, S.CANCELLED, P, pgettext_lazy("offer action", "Cancel offer")),
    Transition(S.NEEDS_INFO, S.EXPIRED, SYS, pgettext_lazy("offer action", "Expire")),
    Transition(S.NEEDS_INFO, S.NO_RESPONSE, SYS, pgettext_lazy("offer action", "Mark no response")),
    Transition(S.INFO_PROVIDED, S.APPROVED, P, pgettext_lazy("offer action", "Approve")),
    Transition(S.INFO_PROVIDED, S.PARTIAL_GRANTED, P, pgettext_lazy("offer action", "Grant in part")),
    Transition(S.INFO_PROVIDED, S.NEEDS_INFO, P, pgettext_lazy("offer action", "Request more info")),
    Transition(S.INFO_PROVIDED, S.REJECTED, P, pgettext_lazy("offer action", "Reject")),
    Transition(S.INFO_PROVIDED, S.CANCELLED, P, pgettext_lazy("offer action", "Cancel offer")),
    Transition(S.INFO_PROVIDED, S.EXPIRED, SYS, pgettext_lazy("offer action", "Expire")),
    Transition(S.COUNTER, S.APPROVED, P, pgettext_lazy("offer action", "Accept counter")),
    Transition(S.COUNTER, S.PARTIAL_GRANTED, P, pgettext_lazy("offer action", "Grant in part")),
    Transition(S.COUNTER, S.NEEDS_INFO, P, pgettext_lazy("offer action", "Request info")),
    Transition(S.COUNTER, S.REJECTED, P, pgettext_lazy("offer action", "Reject counter")),
    Transition(S.COUNTER, S.CANCELLED, P, pgettext_lazy("offer action", "Cancel offer")),
    Transition(S.COUNTER, S.EXPIRED, SYS, pgettext_lazy("offer action", "Expire")),
    Transition(S.PARTIAL_GRANTED, S.APPROVED_CONFIRMED, R, pgettext_lazy("offer action", "Accept")),
    Transition(S.PARTIAL_GRANTED, S.COUNTER, R, pgettext_lazy("offer action", "Counter")),
    Transition(S.PARTIAL_GRANTED, S.REJECTED, R, pgettext_lazy("offer action", "Reject")),
    Transition(S.PARTIAL_GRANTED, S.CANCELLED, P, pgettext_lazy("offer action", "Cancel offer")),
    Transition(S.PARTIAL_GRANTED, S.EXPIRED, SYS, pgettext_lazy("offer action", "Expire")),
    Transition(S.PARTIAL_GRANTED, S.NO_RESPONSE, SYS, pgettext_lazy("offer action", "Mark no response")),
    Transition(S.APPROVED, S.APPROVED_CONFIRMED, P, pgettext_lazy("offer action", "Confirm approval")),
    Transition(S.APPROVED, S.PRE_CLAIMED, R, pgettext_lazy("offer action", "Claim")),
    Transition(S.APPROVED, S.CANCELLED, P, pgettext_lazy("offer action", "Cancel offer")),
    Transition(S.APPROVED, S.EXPIRED, SYS, pgettext_lazy("offer action", "Expire")),
    Transition(S.APPROVED_CONFIRMED, S.PRE_CLAIMED, R, pgettext_lazy("offer action", "Claim")),
    Transition(S.APPROVED_CONFIRMED, S.CANCELLED, P, pgettext_lazy("offer action", "Cancel offer")),
    Transition(S.APPROVED_CONFIRMED, S.EXPIRED, SYS, pgettext_lazy("offer action", "Expire")),
    Transition(S.PRE_CLAIMED, S.CLAIMED, P, pgettext_lazy("offer action", "Confirm claim")),
    Transition(S.PRE_CLAIMED, S.REQUIRES_REVISION, P, pgettext_lazy("offer action", "Ask for revision")),
    Transition(S.REQUIRES_REVISION, S.PRE_CLAIMED, R, pgettext_lazy("offer action", "Resubmit claim")),
    Transition(S.REQUIRES_REVISION, S.CANCELLED, P, pgettext_lazy("offer action", "Cancel offer")),
    Transition(S.REQUIRES_REVISION, S.NO_RESPONSE, SYS, pgettext_lazy("offer action", "Mark no response")),
    Transition(S.CLAIMED, S.COMPLETED, P, pgettext_lazy("offer action", "Mark completed")),
    Transition(S.COMPLETED, S.ACKNOWLEDGED, P | R, pgettext_lazy("offer action", "Acknowledge")),
    Transition(S.NO_RESPONSE, S.OFFERED, P, pgettext_lazy("offer action", "Offer again")),
    Transition(S.NO_RESPONSE, S.CANCELLED, P, pgettext_lazy("offer action", "Cancel offer")),
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
        raise TransitionNotAllowed(_("An offer can't go from %(here)s to %(there)s.") % {"here": here, "there": there})
    if actor not in transition.actors:
        who = _(" or ").join(Party(a).label.lower() for a in sorted(transition.actors))
        raise TransitionNotAllowed(
            _("Only the %(who)s can move an offer from %(here)s to %(there)s.") % {"who": who, "here": here, "there": there}
        )
    return transition
