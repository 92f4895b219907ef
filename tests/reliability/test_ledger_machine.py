"""A Hypothesis state machine drives the money services at random and checks the ledger after every step.

Budgets (fund, withdraw, reserve, release, settle), research incentives (send, claim, cancel,
expire through incentives.services) and account rewards (create with or without a pending
period and a W-9 hold, redeem part, cancel, un-cancel, release, mark the W-9) run side by side
in several budgets, currencies and reward accounts. A plain-Python model predicts every
figure; the invariants compare it with the database after each step.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, initialize, invariant, multiple, rule

from budgets import services
from budgets.models import Budget, LedgerAccount, LedgerTransaction
from budgets.selectors import ledger_problems
from core.money import Money
from incentives import services as incentive_services
from incentives.services import bulk as incentive_bulk
from incentives.models import Incentive
from rewards import services as reward_services
from rewards.models import Advocate, Reward, RewardBalance
from tenancy.models import Membership, Organization

from ..factories import member
from ..studies.factories import add_participants, make_study

amounts = st.integers(min_value=1, max_value=50_000)
STEPS = {"steps": 0, "examples": 0}
SYSTEM = reward_services.Actor.system()
Kind = LedgerTransaction.Kind
RStatus, Reason = Reward.Status, Reward.PendingReason
# The ledger transactions an incentive has once sent, by its status: claimed is never released.
INCENTIVE_MOVES = {"unclaimed": [], "claimed": [Kind.SETTLE], "cancelled": [Kind.RELEASE], "expired": [Kind.RELEASE]}


@dataclass
class ModelReward:
    """What the model expects of one reward."""

    pk: int
    account: int
    advocate: int
    currency: str
    amount: int
    status: str
    reason: str
    w9_required: bool
    scheduled: bool  # its pending period (available_at) is still running
    redeemed: int = 0

    @property
    def left(self) -> int:
        return self.amount - self.redeemed

    def bucket(self) -> int:
        """Index of the balance its money sits in: held 0, available 1."""
        return 0 if self.status == RStatus.PENDING else 1


class LedgerMachine(RuleBasedStateMachine):
    budgets = Bundle("budgets")
    incentives = Bundle("incentives")
    rewards = Bundle("rewards")

    @initialize()
    def organization(self):
        STEPS["examples"] += 1
        self.org = Organization.objects.create(name="Machine", slug=f"machine-{STEPS['examples']}")
        self.owner = member(self.org, Membership.Role.OWNER)
        self.expected = {}  # budget id -> [available, reserved, paid_out]
        self.studies = {}  # budget id -> its study
        self.incentive = {}  # incentive id -> [status, budget id, amount]
        accounts = [reward_services.reward_account_create(organization=self.org, name=f"A{n}", external_id=f"A{n}") for n in range(2)]
        self.advocates = [
            reward_services.advocate_create(account=account, name=f"Advocate {n}").pk for account in accounts for n in range(2)
        ]
        self.w9_on_file = set()
        self.reward = {}  # reward id -> ModelReward
        self.reward_balances = defaultdict(lambda: [0, 0, 0])  # (account id, currency) -> [held, available, redeemed]

    def step(self):
        STEPS["steps"] += 1

    # Budgets

    @rule(target=budgets, currency=st.sampled_from(["USD", "JPY", "KWD"]))
    def create_budget(self, currency):
        self.step()
        budget = services.budget_create(organization=self.org, name=f"B{len(self.expected)}", currency=currency)
        self.expected[budget.pk] = [0, 0, 0]
        self.studies[budget.pk] = make_study(budget=budget, owner=self.owner, amount_minor=100)
        return budget.pk

    def move(self, pk, service, amount, source, target):
        self.step()
        budget = Budget.objects.with_accounts().get(pk=pk)
        figures = self.expected[pk]
        try:
            service(budget=budget, amount=Money(amount, budget.currency), actor=None)
        except services.InsufficientFunds:
            assert source is not None and figures[source] < amount
            return
        assert source is None or figures[source] >= amount
        if source is not None:
            figures[source] -= amount
        if target is not None:
            figures[target] += amount

    @rule(pk=budgets, amount=amounts)
    def fund(self, pk, amount):
        self.move(pk, services.budget_fund, amount, None, 0)

    @rule(pk=budgets, amount=amounts)
    def withdraw(self, pk, amount):
        self.move(pk, services.budget_withdraw, amount, 0, None)

    @rule(pk=budgets, amount=amounts)
    def reserve(self, pk, amount):
        self.move(pk, services.budget_reserve, amount, 0, 1)

    @rule(pk=budgets, amount=amounts)
    def release(self, pk, amount):
        self.move(pk, services.budget_release, amount, 1, 0)

    @rule(pk=budgets, amount=amounts)
    def settle(self, pk, amount):
        self.move(pk, services.budget_settle, amount, 1, 2)

    @rule(pk=budgets, currency=st.sampled_from(["USD", "EUR"]), amount=amounts)
    def fund_in_the_wrong_currency(self, pk, currency, amount):
        budget = Budget.objects.with_accounts().get(pk=pk)
        if currency == budget.currency:
            return
        with pytest.raises(services.InvalidAmount):
            services.budget_fund(budget=budget, amount=Money(amount, currency), actor=None)

    # Research incentives

    @rule(target=incentives, pk=budgets, count=st.integers(1, 3), amount=st.integers(1, 20_000))
    def send(self, pk, count, amount):
        self.step()
        study, figures = self.studies[pk], self.expected[pk]
        people = add_participants(study, count)
        try:
            sent = incentive_services.incentives_send(
                study=study, participant_ids=[p.pk for p in people], amount=Money(amount, study.currency),
                subject="Thanks", message="", actor=self.owner,
            )
        except services.InsufficientFunds:
            assert figures[0] < amount * count
            return multiple()
        assert figures[0] >= amount * count
        figures[0] -= amount * count
        figures[1] += amount * count
        for incentive in sent:
            self.incentive[incentive.pk] = ["unclaimed", pk, amount]
        return multiple(*(incentive.pk for incentive in sent))

    def _incentive(self, pk) -> Incentive:
        return Incentive.objects.select_related("organization", "study__organization", "participant").get(pk=pk)

    def _settle_model(self, pk, status, target):
        """An unclaimed incentive becomes `status`; its money leaves reserved for `target`."""
        model = self.incentive[pk]
        figures = self.expected[model[1]]
        figures[1] -= model[2]
        figures[target] += model[2]
        model[0] = status

    @rule(pk=incentives)
    def claim(self, pk):
        self.step()
        status = self.incentive[pk][0]
        try:
            incentive_services.incentive_claim(incentive=self._incentive(pk), payout_method="gift_card", payout_details={"gift_card_email": "me@example.test"})
        except incentive_services.ClaimRefused as refusal:
            assert status != "unclaimed" and refusal.code == status
            return
        assert status == "unclaimed"
        self._settle_model(pk, "claimed", 2)

    @rule(pk=incentives)
    def cancel(self, pk):
        self.step()
        status = self.incentive[pk][0]
        try:
            changed = incentive_services.incentive_cancel(incentive=self._incentive(pk), actor=self.owner)
        except incentive_services.IncentiveError as refusal:
            assert status in ("claimed", "expired") and refusal.code == f"already_{status}"
            return
        assert changed == (status == "unclaimed") and status in ("unclaimed", "cancelled")
        if changed:
            self._settle_model(pk, "cancelled", 0)

    @rule(pk=budgets)
    def expire(self, pk):
        self.step()
        expired = incentive_bulk.incentives_expire_for_study(study=self.studies[pk], actor=None)
        unclaimed = [i for i, (status, budget, _) in self.incentive.items() if status == "unclaimed" and budget == pk]
        assert expired == len(unclaimed)
        for incentive in unclaimed:
            self._settle_model(incentive, "expired", 0)

    # Account rewards

    @rule(
        target=rewards, advocate=st.integers(0, 3), amount=amounts, currency=st.sampled_from(["USD", "KWD"]),
        scheduled=st.booleans(), w9_required=st.booleans(),
    )
    def create_reward(self, advocate, amount, currency, scheduled, w9_required):
        self.step()
        advocate = Advocate.objects.select_related("account").get(pk=self.advocates[advocate])
        now = timezone.now()
        reward = reward_services.reward_create(
            account=advocate.account, advocate=advocate, amount=Money(amount, currency), source_event="Referral",
            event_at=now - datetime.timedelta(days=10), available_at=now + datetime.timedelta(days=30) if scheduled else None,
            w9_required=w9_required, actor=SYSTEM,
        )
        if w9_required and advocate.pk not in self.w9_on_file:
            status, reason = RStatus.PENDING, Reason.W9_REQUIRED
        elif scheduled:
            status, reason = RStatus.PENDING, Reason.SCHEDULED
        else:
            status, reason = RStatus.AVAILABLE, Reason.NONE
        model = ModelReward(reward.pk, advocate.account_id, advocate.pk, currency, amount, status, reason, w9_required, scheduled)
        self.reward[reward.pk] = model
        self._balance(model)[model.bucket()] += amount
        return reward.pk

    def _balance(self, model: ModelReward) -> list[int]:
        return self.reward_balances[model.account, model.currency]

    def _make_available(self, model: ModelReward):
        """Held -> available."""
        self._balance(model)[0] -= model.left
        self._balance(model)[1] += model.left
        model.status, model.reason = RStatus.AVAILABLE, Reason.NONE

    @rule(pk=rewards, percent=st.integers(1, 110))
    def redeem_part(self, pk, percent):
        self.step()
        model = self.reward[pk]
        amount = max(1, model.amount * percent // 100)
        try:
            reward_services.reward_redeem(reward=Reward.objects.get(pk=pk), amount=Money(amount, model.currency), actor=SYSTEM)
        except reward_services.RewardError as refusal:
            expected = "not_available" if model.status != RStatus.AVAILABLE else "insufficient_balance"
            assert refusal.code == expected and (expected == "not_available" or amount > model.left)
            return
        assert model.status == RStatus.AVAILABLE and amount <= model.left
        model.redeemed += amount
        self._balance(model)[1] -= amount
        self._balance(model)[2] += amount
        if not model.left:
            model.status = RStatus.REDEEMED

    def _reward_action(self, pk, service) -> tuple[ModelReward, str | None]:
        """Run a reward service as the system: the reward's model and the refusal's code, or None."""
        self.step()
        try:
            service(reward=Reward.objects.get(pk=pk), actor=SYSTEM)
        except reward_services.RewardConflict as refusal:
            return self.reward[pk], refusal.code
        return self.reward[pk], None

    @rule(pk=rewards)
    def cancel_reward(self, pk):
        model, refused = self._reward_action(pk, reward_services.reward_cancel)
        cancellable = model.status in (RStatus.PENDING, RStatus.AVAILABLE) and not model.redeemed
        assert refused == (None if cancellable else "already_redeemed" if model.redeemed else "not_cancellable")
        if cancellable:
            self._balance(model)[model.bucket()] -= model.amount
            model.status, model.reason = RStatus.CANCELLED, Reason.NONE

    @rule(pk=rewards)
    def uncancel_reward(self, pk):
        model, refused = self._reward_action(pk, reward_services.reward_uncancel)
        assert refused == (None if model.status == RStatus.CANCELLED else "not_cancelled")
        if refused:
            return
        model.scheduled = False  # un-cancelling ends a pending period
        if model.w9_required and model.advocate not in self.w9_on_file:
            model.status, model.reason = RStatus.PENDING, Reason.W9_REQUIRED
        else:
            model.status, model.reason = RStatus.AVAILABLE, Reason.NONE
        self._balance(model)[model.bucket()] += model.amount

    @rule(pk=rewards)
    def release_reward(self, pk):
        model, refused = self._reward_action(pk, reward_services.reward_release)
        expected = {Reason.SCHEDULED: None, Reason.W9_REQUIRED: "w9_required"}.get(model.reason, "not_pending")
        assert refused == expected
        if not refused:
            model.scheduled = False
            self._make_available(model)

    @rule(advocate=st.integers(0, 3))
    def mark_w9(self, advocate):
        self.step()
        pk = self.advocates[advocate]
        released = reward_services.advocate_mark_w9(advocate=Advocate.objects.get(pk=pk), actor=SYSTEM)
        self.w9_on_file.add(pk)
        held = [m for m in self.reward.values() if m.advocate == pk and m.reason == Reason.W9_REQUIRED]
        for model in held:
            if model.scheduled:  # its pending period still runs: the money stays held
                model.reason = Reason.SCHEDULED
            else:
                self._make_available(model)
        assert sorted(reward.pk for reward in released) == sorted(m.pk for m in held if not m.scheduled)

    # After every step

    @invariant()
    def ledger_is_sound(self):
        assert ledger_problems() == []  # each transaction sums to zero in one currency, balances equal entries
        assert not LedgerAccount.objects.exclude(kind="external").filter(balance_minor__lt=0).exists()
        organization = getattr(self, "org", None)
        for budget in Budget.objects.for_org(organization).with_accounts():
            # The model's third figure is what claims hold: owed (payable) or paid out.
            assert [budget.available_minor, budget.reserved_minor, budget.payable_minor + budget.paid_out_minor] == self.expected[budget.pk]

    @invariant()
    def claimed_incentives_are_never_released(self):
        if not hasattr(self, "org"):
            return
        moves = defaultdict(list)
        after_send = LedgerTransaction.objects.for_org(self.org).filter(reference__startswith="incentive:")
        for reference, kind in after_send.values_list("reference", "kind"):
            moves[int(reference.split(":")[1])].append(kind)
        # A release of several incentives at once (a bulk cancel, a study's expiry) is one
        # transaction, "incentives:bulk", that each of them names as its release_transaction.
        shared = Incentive.objects.for_org(self.org).exclude(release_transaction=None).exclude(
            release_transaction__reference__startswith="incentive:"
        )
        for pk, kind in shared.values_list("pk", "release_transaction__kind"):
            moves[pk].append(kind)
        statuses = dict(Incentive.objects.for_org(self.org).values_list("pk", "status"))
        assert statuses == {pk: model[0] for pk, model in self.incentive.items()}
        for pk, status in statuses.items():
            assert moves[pk] == INCENTIVE_MOVES[status], (pk, status, moves[pk])

    @invariant()
    def rewards_match_the_model(self):
        if not hasattr(self, "org"):
            return
        rows = Reward.objects.for_org(self.org).values_list("pk", "status", "pending_reason", "redeemed_minor")
        assert {pk: (status, reason, redeemed) for pk, status, reason, redeemed in rows} == {
            m.pk: (m.status, m.reason, m.redeemed) for m in self.reward.values()
        }
        accounts = ("held_account", "available_account", "redeemed_account")
        actual = {
            (balance.account_id, balance.currency): [getattr(balance, name).balance_minor for name in accounts]
            for balance in RewardBalance.objects.for_org(self.org).select_related(*accounts)
        }
        assert actual == dict(self.reward_balances)


@pytest.mark.slow
@pytest.mark.django_db
def test_random_money_movements_keep_the_ledger_sound(capsys):
    LedgerMachine.TestCase.settings = settings(
        max_examples=25, stateful_step_count=30, deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    LedgerMachine.TestCase().runTest()
    with capsys.disabled():
        print(
            f"\n[ledger machine] {STEPS['examples']} examples, {STEPS['steps']} steps (budgets, incentives, rewards), "
            "ledger sound and model matched after each"
        )


def test_a_w9_marked_after_uncancelling_does_not_bring_back_the_pending_period(organization):
    """Regression (found while modelling un-cancel for the machine): un-cancel ends the pending period; once the
    W-9 hold that remained is lifted the reward is available, not pending for the old period."""
    account = reward_services.reward_account_create(organization=organization, name="Acme", external_id="ACME")
    advocate = reward_services.advocate_create(account=account, name="Kim")
    now = timezone.now()
    reward = reward_services.reward_create(
        account=account, advocate=advocate, amount=Money(2_500, "USD"), source_event="Referral", event_at=now,
        available_at=now + datetime.timedelta(days=30), w9_required=True, actor=SYSTEM,
    )
    reward_services.reward_cancel(reward=reward, actor=SYSTEM)
    reward_services.reward_uncancel(reward=reward, actor=SYSTEM)
    assert (reward.status, reward.pending_reason) == (RStatus.PENDING, Reason.W9_REQUIRED)

    assert reward_services.advocate_mark_w9(advocate=advocate, actor=SYSTEM) == [reward]
    reward.refresh_from_db()
    assert (reward.status, reward.available_minor) == (RStatus.AVAILABLE, 2_500)
    assert ledger_problems() == []


# The two-year cancel rule: the same month, day and time two calendar years after the event.

UTC = datetime.UTC
ONE_SECOND = datetime.timedelta(seconds=1)
EVENTS = {
    "an ordinary day": (datetime.datetime(2024, 6, 1, 12, tzinfo=UTC), datetime.datetime(2026, 6, 1, 12, tzinfo=UTC)),
    "29 February": (datetime.datetime(2024, 2, 29, 9, 30, tzinfo=UTC), datetime.datetime(2026, 2, 28, 9, 30, tzinfo=UTC)),
    "a window holding 29 February": (
        datetime.datetime(2023, 3, 1, 8, tzinfo=UTC), datetime.datetime(2025, 3, 1, 8, tzinfo=UTC)  # 731 days
    ),
}


@pytest.mark.parametrize("event", EVENTS)
@pytest.mark.parametrize("offset, allowed", [(-ONE_SECOND, True), (datetime.timedelta(0), False), (ONE_SECOND, False)])
def test_a_reward_can_be_cancelled_until_two_calendar_years_after_its_event(organization, event, offset, allowed):
    event_at, deadline = EVENTS[event]
    now = deadline + offset
    account = reward_services.reward_account_create(organization=organization, name="Acme", external_id="ACME")
    reward = reward_services.reward_create(
        account=account, amount=Money(1_000, "USD"), source_event="Referral", event_at=event_at, actor=SYSTEM, now=now
    )
    assert reward_services.cancel_deadline(reward) == deadline
    assert reward_services.can_cancel(reward, now=now) is allowed
    if allowed:
        reward_services.reward_cancel(reward=reward, actor=SYSTEM, now=now)
    else:
        with pytest.raises(reward_services.RewardConflict) as refusal:
            reward_services.reward_cancel(reward=reward, actor=SYSTEM, now=now)
        assert refusal.value.code == "too_old_to_cancel"
    reward.refresh_from_db()
    assert reward.status == (RStatus.CANCELLED if allowed else RStatus.AVAILABLE)
    assert ledger_problems() == []


def test_the_window_is_counted_in_calendar_years_not_in_days(organization):
    """Across 29 February two years are 731 days: 730 days after the event it can still be cancelled."""
    event_at, deadline = EVENTS["a window holding 29 February"]
    assert deadline - event_at == datetime.timedelta(days=731)
    account = reward_services.reward_account_create(organization=organization, name="Acme", external_id="ACME")
    reward = reward_services.reward_create(
        account=account, amount=Money(1_000, "USD"), source_event="Referral", event_at=event_at, actor=SYSTEM,
        now=event_at + datetime.timedelta(days=730),
    )
    reward_services.reward_cancel(reward=reward, actor=SYSTEM, now=event_at + datetime.timedelta(days=730))
    assert reward.status == RStatus.CANCELLED
