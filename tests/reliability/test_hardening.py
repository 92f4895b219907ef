"""Audit rows are append-only in the database, and every money movement is exactly one
ledger transaction naming its actor."""

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from budgets.models import Budget, LedgerEntry, LedgerTransaction
from budgets.services import budget_fund, budget_withdraw
from core.money import Money
from incentives import services as incentive_services
from incentives.models import Incentive
from offers.models import OfferEvent
from rewards import services as reward_services
from rewards.models import Redemption, RewardAccount, RewardEvent
from studies.models import Study
from tenancy.models import Organization, User

from ..incentives.helpers import send_to

APPEND_ONLY = [LedgerTransaction, LedgerEntry, OfferEvent, RewardEvent, Redemption]


def seed():
    call_command("seed_demo", stdout=open("/dev/null", "w"))
    return Organization.objects.get(slug="acme")


def refused(sql: str, pk: int) -> str:
    """The database's refusal of `sql` for row `pk`, or "" if it let it through."""
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [pk])
    except DatabaseError as error:
        return str(error)
    return ""


@pytest.mark.django_db
def test_audit_rows_refuse_update_and_delete_in_the_database(capsys):
    seed()
    refusals = 0
    for model in APPEND_ONLY:
        table = connection.ops.quote_name(model._meta.db_table)
        pk = model.objects.order_by("pk").values_list("pk", flat=True).first()
        assert pk is not None, f"the demo has no {model.__name__}"
        for sql in (f"UPDATE {table} SET id = id WHERE id = %s", f"DELETE FROM {table} WHERE id = %s"):
            answer = refused(sql, pk)
            assert "Cannot update or delete rows" in answer, (model.__name__, sql)
            refusals += 1
        assert model.objects.filter(pk=pk).exists()
    with capsys.disabled():
        print(f"\n[append-only] {len(APPEND_ONLY)} tables ({', '.join(m.__name__ for m in APPEND_ONLY)}): "
              f"{refusals} of {refusals} raw UPDATE/DELETE refused by the database")


@pytest.mark.django_db
def test_every_money_movement_is_one_ledger_transaction_naming_its_actor(capsys):
    acme = seed()
    owner = User.objects.get(email="owner@acme.test")
    budget = Budget.objects.for_org(acme).order_by("pk").first()
    study = Study.objects.for_org(acme).get(name="Onboarding interviews")
    account = RewardAccount.objects.for_org(acme).order_by("pk").first()
    web = reward_services.Actor.web(owner)
    state = {}

    def send():
        state["sent"] = send_to(study, 3, actor=owner)

    def reward():
        state["reward"] = reward_services.reward_create(
            account=account, amount=Money(1_500, "USD"), source_event="Audit sample", event_at=timezone.now(), actor=web,
        )

    def fresh(row):
        return type(row).objects.get(pk=row.pk)

    calls = [  # (what, call, the actor the transaction must name)
        ("fund", lambda: budget_fund(budget=budget, amount=Money(10_000, budget.currency), actor=owner), owner.email),
        ("withdraw", lambda: budget_withdraw(budget=budget, amount=Money(1_000, budget.currency), actor=owner), owner.email),
        ("send 3 incentives", send, owner.email),
        ("claim", lambda: incentive_services.incentive_claim(
            incentive=state["sent"][0], payout_method="gift_card", payout_details={"gift_card_email": "a@example.test"},
        ), lambda: f"{state['sent'][0].participant.email} (claim link)"),  # the participant, through their link
        ("cancel", lambda: incentive_services.incentive_cancel(incentive=state["sent"][1], actor=owner), owner.email),
        ("reward", reward, owner.email),
        ("cancel reward", lambda: reward_services.reward_cancel(reward=fresh(state["reward"]), actor=web), owner.email),
        ("un-cancel reward", lambda: reward_services.reward_uncancel(reward=fresh(state["reward"]), actor=web), owner.email),
        ("redeem", lambda: reward_services.reward_redeem(reward=fresh(state["reward"]), amount=Money(500, "USD"), actor=web), owner.email),
    ]
    made = {}
    for what, call, actor in calls:
        before = set(LedgerTransaction.objects.values_list("pk", flat=True))
        call()
        new = LedgerTransaction.objects.exclude(pk__in=before)
        made[what] = new.count()
        assert made[what] == 1, what
        assert new.get().actor_label == (actor() if callable(actor) else actor), what

    unnamed = LedgerTransaction.objects.filter(actor_label="").count()
    total = LedgerTransaction.objects.count()
    with capsys.disabled():
        print(f"\n[audit] {len(calls)} service calls, transactions written each: {made}; "
              f"{total} ledger transactions after seed_demo and them, {unnamed} without an actor")
    assert unnamed == 0
    assert Incentive.objects.get(pk=state["sent"][0].pk).status == "claimed"
