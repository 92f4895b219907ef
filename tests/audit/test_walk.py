"""A walk through the demo's actions (fund, send, claim, cancel, close a study, move an offer,
create, redeem and cancel rewards) leaves one audit row per state change, each naming who
acted and from which address."""

import pytest

from audit.context import acting
from audit.kinds import ActorKind
from audit.models import AuditEvent
from budgets.services import budget_fund
from core.money import Money
from incentives.services import incentive_cancel, incentive_claim, incentives_send
from incentives.services.studies import study_close
from offers.models import Offer
from offers.services import offer_transition
from offers.transitions import Party
from rewards import services as rewards
from studies.models import StudyParticipant
from tenancy.services import api_key_create

from ..rewards.helpers import make_reward
from ..studies.factories import add_participants

OWNER_IP, RESEARCHER_IP, PARTICIPANT_IP = "203.0.113.5", "2001:db8::7", "198.51.100.23"


def changes_of(step):
    """Run `step` and return the audit rows it wrote, as (type, id, action, actor kind, actor, ip)."""
    last = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    step()
    return {
        (e.object_type, e.object_id, e.action, e.actor_kind, e.actor, e.ip_address)
        for e in AuditEvent.objects.filter(id__gt=last)
    }


def test_a_demo_walk_leaves_one_row_per_change_with_its_actor_and_address(
    organization, owner, researcher, budget, study, offer_factory, account, advocates
):
    done = add_participants(study, 2, StudyParticipant.Status.INCENTIVE_NOT_SENT)
    places = [StudyParticipant.objects.get(study=study, participant=person) for person in done]
    as_owner = lambda: acting(ActorKind.USER, owner.email, user=owner.pk, ip=OWNER_IP)  # noqa: E731
    as_researcher = lambda: acting(ActorKind.USER, researcher.email, user=researcher.pk, ip=RESEARCHER_IP)  # noqa: E731
    mark = dict(owner=(ActorKind.USER, owner.email, OWNER_IP), researcher=(ActorKind.USER, researcher.email, RESEARCHER_IP))

    def fund():
        with as_owner():
            fund.tx = budget_fund(budget=budget, amount=Money(5_000, "USD"), actor=owner)

    assert changes_of(fund) == {("budgets.ledgertransaction", fund.tx.pk, "created", *mark["owner"])}

    def send():
        with as_researcher():
            send.incentives = incentives_send(
                study=study, participant_ids=[p.pk for p in done], amount=Money(2_500, "USD"),
                subject="Thanks", message="Hi {name}", actor=researcher,
            )

    rows = changes_of(send)
    first, second = send.incentives
    assert {r[:3] for r in rows if r[0] != "budgets.ledgertransaction"} == {
        ("incentives.incentive", first.pk, "created"), ("incentives.incentive", second.pk, "created"),
        ("studies.studyparticipant", places[0].pk, "incentive_sent"), ("studies.studyparticipant", places[1].pk, "incentive_sent"),
    }
    assert sum(r[0] == "budgets.ledgertransaction" for r in rows) == 1  # one reserve for the whole send
    assert {r[3:] for r in rows} == {mark["researcher"]}

    def claim():
        with acting(ActorKind.PUBLIC, "Public page", ip=PARTICIPANT_IP):
            incentive_claim(incentive=first, payout_method="gift_card", payout_details={"gift_card_email": "pat@example.test"})

    rows = changes_of(claim)
    assert {r[:3] for r in rows if r[0] != "budgets.ledgertransaction"} == {("incentives.incentive", first.pk, "claimed")}
    assert sum(r[0] == "budgets.ledgertransaction" for r in rows) == 1  # the settle
    assert {r[3:] for r in rows} == {(ActorKind.PUBLIC, "Public page", PARTICIPANT_IP)}

    def cancel():
        with as_owner():
            incentive_cancel(incentive=second, actor=owner)

    rows = changes_of(cancel)
    assert {r[:3] for r in rows if r[0] != "budgets.ledgertransaction"} == {
        ("incentives.incentive", second.pk, "cancelled"), ("studies.studyparticipant", places[1].pk, "incentive_not_sent"),
    }
    assert sum(r[0] == "budgets.ledgertransaction" for r in rows) == 1  # the release
    assert {r[3:] for r in rows} == {mark["owner"]}

    def close():
        with as_researcher():
            study_close(study=study, actor=researcher)

    assert changes_of(close) == {("studies.study", study.pk, "closed", *mark["researcher"])}

    offer = offer_factory(send=False)

    def move_offer():
        with as_owner():
            offer_transition(offer=offer, to_status=Offer.Status.OFFERED, actor_kind=Party.PROVIDER, actor=owner)

    rows = changes_of(move_offer)
    recipient = offer.members.get()  # offering it to its recipient makes them a member
    assert rows == {
        ("offers.offer", offer.pk, "offered", *mark["owner"]), ("offers.offermember", recipient.pk, "created", *mark["owner"]),
    }

    key, _ = api_key_create(organization=organization, name="CRM", actor=owner)

    def create_reward():
        with acting(ActorKind.API_KEY, f"API key {key}", api_key=key.pk, ip=OWNER_IP):
            create_reward.reward = make_reward(account, amount_minor=4_000, advocate=advocates[0], actor=rewards.Actor.api(key))

    rows = changes_of(create_reward)
    assert {r[:3] for r in rows if r[0] != "budgets.ledgertransaction"} == {
        ("rewards.reward", create_reward.reward.pk, "created")
    }
    assert {r[3:] for r in rows} == {(ActorKind.API_KEY, f"API key {key}", OWNER_IP)}

    reward = create_reward.reward

    def redeem():
        with as_owner():
            redeem.redemption = rewards.reward_redeem(reward=reward, amount=Money(1_000, "USD"), actor=rewards.Actor.web(owner))

    rows = changes_of(redeem)
    assert {r[:3] for r in rows if r[0] != "budgets.ledgertransaction"} == {
        ("rewards.redemption", redeem.redemption.pk, "created"), ("rewards.reward", reward.pk, "updated"),
    }
    assert {r[3:] for r in rows} == {mark["owner"]}

    other = make_reward(account, amount_minor=500, advocate=advocates[1])

    def cancel_reward():
        with acting(ActorKind.TASK, "rewards.tasks.example"):
            rewards.reward_cancel(reward=other, actor=rewards.Actor.system())

    rows = changes_of(cancel_reward)
    assert {r[:3] for r in rows if r[0] != "budgets.ledgertransaction"} == {("rewards.reward", other.pk, "cancelled")}
    assert {r[3:] for r in rows} == {(ActorKind.TASK, "rewards.tasks.example", "")}
