"""Research incentives in the REST API: read-only, filterable, scoped to the key's organization."""

import datetime

from ninja import Field, Router, Schema
from ninja.params import P, QueryEx

from api.schemas import ERRORS, Limit, ObjectId, Offset

from incentives.models import Incentive

router = Router()


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


@router.get("/incentives", response={200: IncentivePage, **ERRORS}, summary="List research incentives with their status")
def incentive_list(
    request,
    status: QueryEx[Incentive.Status | None, P(description="unclaimed, claimed, cancelled or expired")] = None,
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
