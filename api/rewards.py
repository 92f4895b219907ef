"""Rewards endpoints of the REST API; every lookup is scoped to the API key's organization."""

import datetime

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status
from ninja.params import P, QueryEx
from pydantic import ConfigDict, Field

from api.idempotency import fingerprint_of, idempotent
from api.schemas import ERRORS, AmountMinor, BodyIn, Days, Id, IdempotencyHeader, Limit, ObjectId, Offset, Text, UtcDateTime, examples
from core.money import Money

from rewards import selectors, services
from rewards.models import Advocate, Reward, RewardAccount, RewardProgram
from rewards.services import programs


REWARD_EXAMPLE = {
    "id": 42, "account_id": 7, "advocate_id": 12, "program_id": 3, "external_id": "RW-77", "amount_minor": 2500,
    "redeemed_minor": 1000, "available_minor": 1500, "currency": "USD", "status": "available", "pending_reason": "",
    "available_at": "2026-11-16T09:00:00Z", "w9_required": False, "expires_at": None,
    "source_event": "Jo signed up a friend", "event_at": "2026-11-02T09:00:00Z", "created_at": "2026-11-02T09:00:05Z",
}
ADVOCATE_EXAMPLE = {"id": 12, "name": "Sam Example", "email": "sam@example.com", "external_id": "ADV-1", "w9_submitted_at": None}
BALANCE_EXAMPLE = {"currency": "USD", "available_minor": 1500, "pending_minor": 2500, "redeemed_minor": 1000}
ACCOUNT_EXAMPLE = {"id": 7, "name": "Lopez household", "external_id": "ACC-7", "balances": [BALANCE_EXAMPLE]}
PROGRAM_EXAMPLE = {
    "id": 3, "name": "Spring referrals", "currency": "USD", "amount_minor": 2500, "pending_days": 14, "w9_above_threshold": True,
    "expires_after_days": 365, "cancellation_allowed": True, "archived": False,
}

router = Router()


class BalanceOut(Schema):
    currency: str
    available_minor: int
    pending_minor: int
    redeemed_minor: int

    model_config = examples(BALANCE_EXAMPLE)


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

    model_config = examples(ACCOUNT_EXAMPLE)


class AccountPage(Schema):
    count: int
    items: list[AccountOut]

    model_config = examples({"count": 1, "items": [ACCOUNT_EXAMPLE]})


class AdvocateOut(Schema):
    id: int
    name: str
    email: str
    external_id: str
    w9_submitted_at: datetime.datetime | None

    model_config = examples(ADVOCATE_EXAMPLE)


class RewardOut(Schema):
    id: int
    account_id: int
    advocate_id: int | None
    program_id: int | None = Field(description="The program that made it, if any.")
    external_id: str
    amount_minor: int
    redeemed_minor: int
    available_minor: int = Field(description="What can be redeemed now.")
    currency: str
    status: str
    pending_reason: str
    available_at: datetime.datetime | None = Field(
        description="End of the pending period; for a reward released early (or after its W-9), when it was released."
    )
    w9_required: bool
    expires_at: datetime.datetime | None
    source_event: str
    event_at: datetime.datetime
    created_at: datetime.datetime

    model_config = examples(REWARD_EXAMPLE)


class RewardPage(Schema):
    count: int
    items: list[RewardOut]

    model_config = examples({"count": 1, "items": [REWARD_EXAMPLE]})


class AccountDetailOut(AccountOut):
    advocates: list[AdvocateOut]
    rewards: list[RewardOut]

    model_config = examples({**ACCOUNT_EXAMPLE, "advocates": [ADVOCATE_EXAMPLE], "rewards": [REWARD_EXAMPLE]})


class RewardIn(BodyIn):
    amount_minor: AmountMinor | None = Field(None, description="Needed unless the program gives a fixed amount.")
    currency: str | None = Field(
        None, pattern=r"^[A-Za-z]{3}$", description="ISO 4217 code, e.g. USD, or PTS for loyalty points; the program's if omitted."
    )
    event_at: UtcDateTime = Field(description="When the source event happened; not in the future.")
    program_id: ObjectId | None = Field(None, description="The program giving it: its amount, pending period, expiry and W-9 rule.")
    source_event: Text = Field("", max_length=200)
    advocate_id: ObjectId | None = Field(None, description="The advocate who earned it (needed with w9_required).")
    external_id: Text = Field("", max_length=100)
    pending_until: UtcDateTime | None = Field(None, description="Pending until then; available at once if omitted or past.")
    w9_required: bool = Field(False, description="Held until the advocate's W-9 is marked as submitted.")

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [
            {"program_id": 3, "advocate_id": 12, "event_at": "2026-11-02T09:00:00Z", "source_event": "Jo signed up a friend", "external_id": "RW-77"},
            {"amount_minor": 2500, "currency": "USD", "event_at": "2026-11-02T09:00:00Z", "pending_until": "2026-11-16T09:00:00Z"},
        ]},
    )


class RedeemIn(BodyIn):
    amount_minor: AmountMinor | None = Field(None, description="Omit to redeem everything available.")
    note: Text = Field("", max_length=500)

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"amount_minor": 1000, "note": "Gift card #88"}, {}]})


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

    model_config = examples({
        "redemption": {"id": 9, "reward_id": 42, "amount_minor": 1000, "currency": "USD", "channel": "api", "note": "Gift card #88", "created_at": "2026-12-01T10:00:00Z"},
        "reward": REWARD_EXAMPLE,
    })


class W9Out(Schema):
    advocate: AdvocateOut
    released: list[RewardOut]

    model_config = examples({"advocate": {**ADVOCATE_EXAMPLE, "w9_submitted_at": "2026-12-01T10:00:00Z"}, "released": [REWARD_EXAMPLE]})


class ProgramOut(Schema):
    id: int
    name: str
    currency: str
    amount_minor: int | None = Field(description="Every reward's amount; null: given with each reward.")
    pending_days: int
    w9_above_threshold: bool
    expires_after_days: int | None
    cancellation_allowed: bool
    archived: bool

    model_config = examples(PROGRAM_EXAMPLE)

    @staticmethod
    def resolve_archived(program):
        return program.archived_at is not None


class ProgramPage(Schema):
    count: int
    items: list[ProgramOut]

    model_config = examples({"count": 1, "items": [PROGRAM_EXAMPLE]})


class ProgramIn(BodyIn):
    name: Text = Field(min_length=1, max_length=200)
    currency: str = Field(pattern=r"^[A-Za-z]{3}$", description="ISO 4217 code, or PTS for loyalty points.")
    amount_minor: AmountMinor | None = Field(None, description="A fixed amount for every reward; omit to give it with each.")
    pending_days: Days = 0
    w9_above_threshold: bool = Field(True, description="Hold for a W-9 above the organization's yearly tax threshold.")
    expires_after_days: Days | None = None
    cancellation_allowed: bool = True

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{k: v for k, v in PROGRAM_EXAMPLE.items() if k not in ("id", "archived")}]})


def _org(request):
    return request.auth.organization


def _actor(request):
    return services.Actor.api(request.auth)


def _reward(request, reward_id: int) -> Reward:
    return get_object_or_404(Reward.objects.for_org(_org(request)).select_related("advocate", "program"), pk=reward_id)


@router.get("/rewards", response={200: RewardPage, **ERRORS}, summary="List rewards, filtered")
def reward_list(
    request,
    status: QueryEx[Reward.Status | None, P(description="pending, available, redeemed, cancelled or expired")] = None,
    account_id: QueryEx[ObjectId | None, P()] = None,
    program_id: QueryEx[ObjectId | None, P()] = None,
    event_from: QueryEx[datetime.date | None, P(description="Source event on or after this date (UTC).")] = None,
    event_to: QueryEx[datetime.date | None, P(description="Source event on or before this date (UTC).")] = None,
    limit: Limit = 50,
    offset: Offset = 0,
):
    rewards = selectors.reward_list(
        organization=_org(request), status=status, account_id=account_id, program_id=program_id, event_from=event_from, event_to=event_to
    )
    return {"count": rewards.count(), "items": list(rewards[offset : offset + limit])}


@router.get("/rewards/{reward_id}", response={200: RewardOut, **ERRORS}, summary="One reward")
def reward_get(request, reward_id: Id):
    return _reward(request, reward_id)


@router.get("/programs", response={200: ProgramPage, **ERRORS}, summary="List reward programs")
def program_list(request, archived: bool = False, limit: Limit = 50, offset: Offset = 0):
    items = selectors.program_list(organization=_org(request), archived=archived)
    return {"count": items.count(), "items": list(items[offset : offset + limit])}


@router.post("/programs", response={201: ProgramOut, **ERRORS}, summary="Create a reward program")
def program_create(request, payload: ProgramIn):
    return Status(201, programs.program_create(organization=_org(request), **payload.model_dump()))


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
    advocate = program = None
    if payload.advocate_id is not None:
        advocate = get_object_or_404(Advocate.objects.for_org(organization), pk=payload.advocate_id)
    if payload.program_id is not None:
        program = get_object_or_404(RewardProgram.objects.for_org(organization), pk=payload.program_id)
    currency = payload.currency or (program.currency if program else None)
    if payload.amount_minor is not None and currency is None:
        raise services.RewardInvalid(_("Give the reward's currency (or a program)."), code="invalid_currency")
    reward = services.reward_create(
        account=account,
        amount=None if payload.amount_minor is None else Money(payload.amount_minor, currency),
        program=program,
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
    idempotency_key: IdempotencyHeader = None,
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


class W9UndoOut(Schema):
    advocate: AdvocateOut
    held: list[RewardOut] = Field(description="The rewards that wait for the W-9 again.")

    model_config = examples({"advocate": ADVOCATE_EXAMPLE, "held": [{**REWARD_EXAMPLE, "status": "pending", "pending_reason": "w9_required"}]})


@router.delete("/advocates/{advocate_id}/w9", response={200: W9UndoOut, **ERRORS}, summary="Undo the W-9 mark (it was made by mistake)")
def advocate_w9_undo(request, advocate_id: Id):
    advocate = get_object_or_404(Advocate.objects.for_org(_org(request)), pk=advocate_id)
    held = services.advocate_unmark_w9(advocate=advocate, actor=_actor(request))
    return {"advocate": advocate, "held": held}
