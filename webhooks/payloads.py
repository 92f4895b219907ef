"""What an event's `data` says about the object it concerns: ids, status, amounts in minor
units, times. Built from the object the service holds (no query of its own), never a secret:
no claim or offer links, no payout details."""


def _iso(value):
    return value.isoformat().replace("+00:00", "Z") if value else None


def incentive_data(incentive) -> dict:
    return {
        "id": incentive.pk,
        "status": incentive.status,
        "amount_minor": incentive.amount_minor,
        "currency": incentive.currency,
        "study_id": incentive.study_id,
        "budget_id": incentive.budget_id,
        "participant": {"id": incentive.participant_id, "name": incentive.participant.name, "email": incentive.participant.email},
        "sent_at": _iso(incentive.sent_at),
        "claimed_at": _iso(incentive.claimed_at),
        "cancelled_at": _iso(incentive.cancelled_at),
        "expired_at": _iso(incentive.expired_at),
        "payout_method": incentive.payout_method or None,
        "payout_status": incentive.payout_status or None,
        "payout_sent_at": _iso(incentive.payout_sent_at),
    }


def offer_data(offer, *, from_status: str = "") -> dict:
    data = {
        "id": offer.pk,
        "status": offer.status,
        "program_id": offer.program_id,
        "incentive_type": offer.incentive_type,
        "amount_minor": offer.amount_minor,
        "percent": str(offer.percent) if offer.percent is not None else None,
        "currency": offer.currency,
        "recipient": {"name": offer.recipient_name, "email": offer.recipient_email},
        "expires_on": offer.expires_on,
    }
    if from_status:
        data["from_status"] = from_status
    return data


def offer_message_data(message) -> dict:
    return {
        "id": message.pk,
        "offer_id": message.offer_id,
        "sender_kind": message.sender_kind,
        "sender": message.sender_label,
        "body": message.body,
        "created_at": _iso(message.created_at),
    }


def reward_data(reward, *, amount_minor: int | None = None) -> dict:
    data = {
        "id": reward.pk,
        "status": reward.status,
        "pending_reason": reward.pending_reason or None,
        "account_id": reward.account_id,
        "advocate_id": reward.advocate_id,
        "external_id": reward.external_id or None,
        "amount_minor": reward.amount_minor,
        "redeemed_minor": reward.redeemed_minor,
        "currency": reward.currency,
        "available_at": _iso(reward.available_at),
    }
    if amount_minor is not None:
        data["moved_minor"] = amount_minor  # what this event moved: the amount redeemed
    return data


# A reward's audit action (rewards.models.RewardEvent.Action) -> the event receivers get.
# Un-cancelling tells them the reward is available again, unless a W-9 hold keeps it pending.
REWARD_ACTIONS = {
    "created": "reward.created",
    "released": "reward.available",
    "redeemed": "reward.redeemed",
    "cancelled": "reward.cancelled",
    "uncancelled": "reward.available",
}


def reward_event(reward, action: str, amount_minor: int):
    """The (type, data) a reward's audit action is told to receivers as, or None."""
    event_type = REWARD_ACTIONS.get(action)
    if event_type is None or (action == "uncancelled" and reward.status != "available"):
        return None
    return event_type, reward_data(reward, amount_minor=amount_minor if action == "redeemed" else None)


def approval_data(approval) -> dict:
    return {
        "id": approval.pk,
        "kind": approval.kind,
        "status": approval.status,
        "summary": approval.summary,
        "amount_minor": approval.amount_minor,
        "currency": approval.currency,
        "per_participant_minor": approval.per_participant_minor,
        "reference": approval.reference,
        "requested_by": approval.requested_by.email,
        "requested_at": _iso(approval.requested_at),
        "decided_by": approval.decided_label or None,
        "decided_at": _iso(approval.decided_at),
        "reason": approval.reason or None,
    }
