"""Rewards endpoints of the REST API; every lookup is scoped to the API key's organization."""

import datetime

from django.shortcuts import get_object_or_404
from ninja import Router, Schema, Status
from ninja.params import HeaderEx, P
from pydantic import Field

from api.idempotency import fingerprint_of, idempotent
from api.schemas import ERRORS, AmountMinor, BodyIn, Id, Limit, ObjectId, Offset, Text, UtcDateTime
from core.money import Money

from rewards import selectors, services
from rewards.models import Advocate, Reward, RewardAccount

router = Router()


class BalanceOut(Schema):
    currency: str
    available_minor: int
    pending_minor: int
    redeemed_minor: int


class AccountOut(Schema):
    id: int
    name: str
    external_id: str
    balances: list[BalanceOut]

    @staticmethod
    def resolve_balances(account):
        return [
            {
                "currency": balance.currency,
                "available_minor": balance.available.amount_minor,
                "pending_minor": balance.pending.amount_minor,
                "redeemed_minor": balance.redeemed.amount_minor,
            }
            for balance in account.balances.all()
        ]


class AccountPage(Schema):
    count: int
    items: list[AccountOut]


class AdvocateOut(Schema):
    id: int
    name: str
    email: str
    external_id: str
    w9_submitted_at: datetime.datetime | None


class RewardOut(Schema):
    id: int
    account_id: int
    advocate_id: int | None
    external_id: str
    amount_minor: int
    redeemed_minor: int
    available_minor: int = Field(description="What can be redeemed now.")
    currency: str
    status: str
    pending_reason: str
    available_at: datetime.datetime | None
    w9_required: bool
    source_event: str
    event_at: datetime.datetime


class AccountDetailOut(AccountOut):
    advocates: list[AdvocateOut]
    rewards: list[RewardOut]


class RewardIn(BodyIn):
    amount_minor: AmountMinor
    currency: str = Field(pattern=r"^[A-Za-z]{3}$", description="ISO 4217 code, e.g. USD, or PTS for loyalty points.")
    event_at: UtcDateTime = Field(description="When the source event happened; not in the future.")
    source_event: Text = Field("", max_length=200)
    advocate_id: ObjectId | None = Field(None, description="The advocate who earned it (needed with w9_required).")
    external_id: Text = Field("", max_length=100)
    pending_until: UtcDateTime | None = Field(None, description="Pending until then; available at once if omitted or past.")
    w9_required: bool = Field(False, description="Held until the advocate's W-9 is marked as submitted.")


class RedeemIn(BodyIn):
    amount_minor: AmountMinor | None = Field(None, description="Omit to redeem everything available.")
    note: Text = Field("", max_length=500)


class RedemptionOut(Schema):
    id: int
    reward_id: int
    amount_minor: int
    currency: str
    channel: str
    note: str
    created_at: datetime.datetime


class RedeemOut(Schema):
    redemption: RedemptionOut
    reward: RewardOut


class W9Out(Schema):
    advocate: AdvocateOut
    released: list[RewardOut]


def _org(request):
    return request.auth.organization


def _actor(request):
    return services.Actor.api(request.auth)


def _reward(request, reward_id: int) -> Reward:
    return get_object_or_404(Reward.objects.for_org(_org(request)).select_related("advocate"), pk=reward_id)


@router.get("/accounts", response={200: AccountPage, **ERRORS}, summary="List accounts with their balances")
def account_list(request, limit: Limit = 50, offset: Offset = 0):
    accounts = selectors.account_list(organization=_org(request))
    return {"count": accounts.count(), "items": list(accounts[offset : offset + limit])}


@router.get("/accounts/{account_id}", response={200: AccountDetailOut, **ERRORS}, summary="One account with its advocates and rewards")
def account_get(request, account_id: Id):
    return get_object_or_404(selectors.account_list_with_rewards(organization=_org(request)), pk=account_id)


@router.post("/accounts/{account_id}/rewards", response={201: RewardOut, **ERRORS}, summary="Create a reward")
def reward_create(request, account_id: Id, payload: RewardIn):
    organization = _org(request)
    account = get_object_or_404(RewardAccount.objects.for_org(organization), pk=account_id)
    advocate = None
    if payload.advocate_id is not None:
        advocate = get_object_or_404(Advocate.objects.for_org(organization), pk=payload.advocate_id)
    reward = services.reward_create(
        account=account,
        amount=Money(payload.amount_minor, payload.currency),
        source_event=payload.source_event,
        event_at=payload.event_at,
        advocate=advocate,
        external_id=payload.external_id,
        available_at=payload.pending_until,
        w9_required=payload.w9_required,
        actor=_actor(request),
    )
    return Status(201, reward)


@router.post("/rewards/{reward_id}/redeem", response={200: RedeemOut, **ERRORS}, summary="Redeem part or all of a reward")
def reward_redeem(
    request,
    reward_id: Id,
    payload: RedeemIn | None = None,
    idempotency_key: HeaderEx[Text | None, P(alias="Idempotency-Key", max_length=200, description="Retries with the same key and body return the first response.")] = None,
):
    """Redeem `amount_minor` (or all that is available). Send an `Idempotency-Key` to retry safely."""
    payload = payload or RedeemIn()
    reward = _reward(request, reward_id)

    def redeem():
        redemption = services.reward_redeem(
            reward=reward,
            amount=None if payload.amount_minor is None else Money(payload.amount_minor, reward.currency),
            note=payload.note,
            idempotency_key=idempotency_key or "",
            actor=_actor(request),
        )
        return 200, RedeemOut.from_orm({"redemption": redemption, "reward": redemption.reward}).model_dump(mode="json")

    status, body = idempotent(
        organization=_org(request),
        key=idempotency_key,
        fingerprint=fingerprint_of(request.path, payload.model_dump(mode="json")),
        run=redeem,
    )
    return Status(status, body)


@router.post("/rewards/{reward_id}/cancel", response={200: RewardOut, **ERRORS}, summary="Cancel an unredeemed reward")
def reward_cancel(request, reward_id: Id):
    return services.reward_cancel(reward=_reward(request, reward_id), actor=_actor(request))


@router.post("/rewards/{reward_id}/uncancel", response={200: RewardOut, **ERRORS}, summary="Restore a cancelled reward")
def reward_uncancel(request, reward_id: Id):
    return services.reward_uncancel(reward=_reward(request, reward_id), actor=_actor(request))


@router.post("/rewards/{reward_id}/release", response={200: RewardOut, **ERRORS}, summary="Release a pending reward now")
def reward_release(request, reward_id: Id):
    return services.reward_release(reward=_reward(request, reward_id), actor=_actor(request))


@router.post("/advocates/{advocate_id}/w9", response={200: W9Out, **ERRORS}, summary="Mark the advocate's W-9 as submitted")
def advocate_w9(request, advocate_id: Id):
    advocate = get_object_or_404(Advocate.objects.for_org(_org(request)), pk=advocate_id)
    released = services.advocate_mark_w9(advocate=advocate, actor=_actor(request))
    return {"advocate": advocate, "released": released}
