"""Research incentives in the REST API: read-only, filterable, scoped to the key's organization."""

import datetime

from ninja import Router, Schema
from pydantic import ConfigDict, Field
from ninja.params import P, QueryEx

from api.schemas import ERRORS, Limit, ObjectId, Offset

from incentives.models import Incentive

router = Router()


EXAMPLE = {
    "id": 5, "study_id": 2, "study": "Checkout interviews", "participant_name": "Sam Example", "participant_email": "sam@example.com",
    "amount_minor": 5000, "currency": "USD", "status": "claimed", "sent_at": "2026-11-03T10:00:00Z",
    "claimed_at": "2026-11-04T08:12:00Z", "cancelled_at": None, "w9_hold": False,
}


class IncentiveOut(Schema):
    id: int
    study_id: int
    study: str
    participant_name: str
    participant_email: str
    amount_minor: int
    currency: str
    status: str
    sent_at: datetime.datetime
    claimed_at: datetime.datetime | None
    cancelled_at: datetime.datetime | None
    w9_hold: bool = Field(description="Above the yearly tax threshold without a W-9 on file: its payout waits for the W-9.")

    model_config = ConfigDict(json_schema_extra={"examples": [EXAMPLE]})

    payout_method: str = Field(description="gift_card, bank_transfer or charity; empty until claimed")
    payout_status: str = Field(description="owed, in_batch, paid, returned or abandoned; empty until claimed")
    payout_sent_at: datetime.datetime | None
    payout_to: str = Field(description="Where the payout goes, masked (bank transfer to FR76 •••• 1234)")

    @staticmethod
    def resolve_payout_to(incentive):
        return incentive.payout_destination if incentive.payout_method else ""

    @staticmethod
    def resolve_study(incentive):
        return incentive.study.name

    @staticmethod
    def resolve_participant_name(incentive):
        return incentive.participant.name

    @staticmethod
    def resolve_participant_email(incentive):
        return incentive.participant.email


class IncentivePage(Schema):
    count: int
    items: list[IncentiveOut]

    model_config = ConfigDict(json_schema_extra={"examples": [{"count": 1, "items": [EXAMPLE]}]})


@router.get("/incentives", response={200: IncentivePage, **ERRORS}, summary="List research incentives with their status")
def incentive_list(
    request,
    status: QueryEx[Incentive.Status | None, P(description="awaiting_approval, unclaimed, claimed, cancelled or expired")] = None,
    study_id: QueryEx[ObjectId | None, P()] = None,
    limit: Limit = 50,
    offset: Offset = 0,
):
    incentives = Incentive.objects.for_org(request.auth.organization).select_related("study", "participant")
    if status:
        incentives = incentives.filter(status=status)
    if study_id:
        incentives = incentives.filter(study_id=study_id)
    return {"count": incentives.count(), "items": list(incentives[offset : offset + limit])}
