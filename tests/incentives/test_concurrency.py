"""Races: two sends of the same participants pay once; a claim racing a cancel has one winner."""

import threading

import pytest
from django.core.management import call_command
from django.db import connection

from budgets.services import LedgerError
from core.money import Money
from incentives import services
from incentives.models import Incentive
from studies.models import Study, StudyParticipant

from ..studies.factories import add_participants
from .test_send import budget_figures

pytestmark = pytest.mark.django_db(transaction=True)


def race(*actions):
    """Run the actions at the same moment, each on its own connection; returns their outcomes."""
    barrier = threading.Barrier(len(actions))
    outcomes = [None] * len(actions)

    def run(index, action):
        try:
            barrier.wait()
            outcomes[index] = ("ok", action())
        except (services.IncentiveError, LedgerError) as error:
            outcomes[index] = ("refused", error.code)
        except Exception as error:  # anything else is a bug the assertions show
            outcomes[index] = ("error", repr(error))
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, a)) for i, a in enumerate(actions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def test_two_concurrent_sends_of_the_same_participants_pay_once(study, researcher, budget):
    people = add_participants(study, 3)

    def send():
        fresh = Study.objects.select_related("organization").get(pk=study.pk)
        return len(services.incentives_send(
            study=fresh, participant_ids=[p.pk for p in people], amount=Money(2_500, "USD"), subject="Hi", message="", actor=researcher
        ))

    outcomes = race(send, send)
    assert sorted(outcomes) == [("ok", 3), ("refused", "already_sent")]
    assert Incentive.objects.count() == 3 and budget_figures(budget) == (92_500, 7_500, 0)
    assert StudyParticipant.objects.filter(study=study, status="incentive_sent").count() == 3
    call_command("verify_ledger")


def test_a_claim_racing_a_cancel_has_exactly_one_winner(study, researcher, budget):
    people = add_participants(study, 1)
    incentive = services.incentives_send(study=study, participant_ids=[people[0].pk], amount=Money(2_500, "USD"), subject="Hi", message="", actor=researcher)[0]

    def fresh():
        return Incentive.objects.select_related("organization", "study__organization", "participant").get(pk=incentive.pk)

    def claim():
        return services.incentive_claim(incentive=fresh(), payout_method="charity", payout_details={"charity_name": "Red Cross"}).status

    def cancel():
        return services.incentive_cancel(incentive=fresh(), actor=researcher)

    outcomes = race(claim, cancel)
    winners = [outcome for outcome in outcomes if outcome[0] == "ok"]
    assert len(winners) == 1, outcomes
    final = Incentive.objects.get(pk=incentive.pk).status
    assert final in ("claimed", "cancelled")
    assert budget_figures(budget) == ((97_500, 0, 2_500) if final == "claimed" else (100_000, 0, 0))
    call_command("verify_ledger")


def test_concurrent_sends_in_two_studies_let_only_one_pass_under_the_tax_threshold(organization, researcher, owner):
    """Ada has $1,500.00 this year; two sends of $300.00 in different studies at the same moment:
    each alone stays under $2,000.00, together they don't, so exactly one is held for the W-9."""
    from studies.models import Participant

    from ..factories import make_budget
    from ..studies.factories import make_study

    big = make_budget(organization, name="Panel", funds_minor=1_000_000, actor=owner)
    ada = Participant.objects.create(organization=organization, name="Ada Lovelace", email="ada@example.test")
    studies = [make_study(budget=big, owner=researcher) for _ in range(3)]
    for study in studies:
        StudyParticipant.objects.create(organization=organization, study=study, participant=ada, status="incentive_not_sent")
    first = services.incentives_send(study=studies[0], participant_ids=[ada.pk], amount=Money(150_000, "USD"), subject="Hi", message="", actor=researcher)
    services.incentive_claim(incentive=first[0], payout_method="charity", payout_details={"charity_name": "Red Cross"})

    def send(study):
        def action():
            fresh = Study.objects.select_related("organization").get(pk=study.pk)
            (incentive,) = services.incentives_send(
                study=fresh, participant_ids=[ada.pk], amount=Money(30_000, "USD"), subject="Hi", message="", actor=researcher
            )
            return incentive.w9_hold
        return action

    outcomes = race(send(studies[1]), send(studies[2]))
    assert sorted(outcomes) == [("ok", False), ("ok", True)], outcomes
    assert Incentive.objects.filter(participant=ada, w9_hold=True).count() == 1
    call_command("verify_ledger")
