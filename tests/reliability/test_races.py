"""Races on real PostgreSQL: threads on their own connections hit the money services at once.

Each test prints its figures. Threads come from a pool (see threads.POOL) released together,
so the requests really overlap.
"""

import random
import threading
from collections import Counter, defaultdict

import pytest
from django.core import mail
from django.core.management import call_command
from django.db.models import Sum
from django.urls import reverse

from budgets.models import Budget, LedgerTransaction
from budgets.selectors import ledger_problems
from core.models import OutboundEmail
from core.money import Money
from incentives import services
from incentives.models import Incentive
from rewards.services import bulk
from rewards.models import Redemption, Reward
from studies.models import Study
from incentives.services.studies import study_close
from tenancy.services import api_key_create

from ..api.test_rewards_api import Api
from ..factories import make_budget
from ..incentives.helpers import send_to, token_from
from ..rewards.helpers import make_account, make_reward
from ..studies.factories import add_participants, make_study
from .helpers import POOL, drain, errors, outcome, report, run_together, shared_queue

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

Kind = LedgerTransaction.Kind


def figures(budget):
    budget = Budget.objects.with_accounts().get(pk=budget.pk)
    # The third figure is what claims hold: owed (payable) or paid out (docs/payouts.md).
    return budget.available_minor, budget.reserved_minor, budget.payable_minor + budget.paid_out_minor


def ledger_kinds(incentives) -> dict[int, list[str]]:
    """Each incentive's ledger transactions after it was sent (settle or release), by kind."""
    kinds = defaultdict(list)
    references = {f"incentive:{incentive.pk}": incentive.pk for incentive in incentives}
    for reference, kind in LedgerTransaction.objects.filter(reference__in=references).values_list("reference", "kind"):
        kinds[references[reference]].append(kind)
    # A set-based release (bulk cancel, expiry) is one transaction for many, linked from each.
    linked = Incentive.objects.filter(pk__in=references.values(), release_transaction__isnull=False).exclude(
        release_transaction__reference__in=references
    )
    for pk, kind in linked.values_list("pk", "release_transaction__kind"):
        kinds[pk].append(kind)
    return kinds


def fresh(pk) -> Incentive:
    return Incentive.objects.select_related("organization", "study__organization", "participant").get(pk=pk)


def claim(incentive):
    return services.incentive_claim(incentive=incentive, payout_method="charity", payout_details={"charity_name": "Red Cross"})


def test_a_thousand_concurrent_sends_of_one_dollar_from_five_hundred_let_exactly_five_hundred_through(
    organization, owner, researcher, capsys
):
    budget = make_budget(organization, name="Race", funds_minor=50_000, actor=owner)
    study = make_study(budget=budget, owner=researcher, amount_minor=100)
    todo = shared_queue(person.pk for person in add_participants(study, 1_000))  # one each: only money refuses them
    outcomes = []

    def sender(_):
        mine = Study.objects.select_related("organization").get(pk=study.pk)
        for person in drain(todo):
            outcomes.append(outcome(lambda: services.incentives_send(
                study=mine, participant_ids=[person], amount=Money(100, "USD"), subject="Thanks", message="", actor=researcher
            )))

    seconds = run_together(sender)

    counts = Counter(outcomes)
    assert counts == {"ok": 500, "insufficient_funds": 500}, counts
    assert figures(budget) == (0, 50_000, 0)
    assert Incentive.objects.filter(study=study).count() == 500
    assert LedgerTransaction.objects.filter(budget=budget, kind=Kind.RESERVE).count() == 500
    assert OutboundEmail.objects.filter(purpose="incentive_claim").count() == 500
    call_command("verify_ledger")
    report(
        capsys,
        f"[budget race] 1000 sends of $1.00 from $500.00 ({POOL} threads): {counts['ok']} ok, "
        f"{counts['insufficient_funds']} insufficient funds, {len(errors(outcomes))} errors, "
        f"available {figures(budget)[0]}, verify_ledger clean, {seconds:.1f} s",
    )


def test_five_hundred_incentives_each_claimed_and_cancelled_at_once_have_one_winner_each(organization, owner, researcher, capsys):
    budget = make_budget(organization, name="Pairs", funds_minor=50_000, actor=owner)
    study = make_study(budget=budget, owner=researcher, amount_minor=100)
    incentives = send_to(study, 500, actor=researcher, amount_minor=100)
    pairs = POOL // 2
    barriers = [threading.Barrier(2) for _ in range(pairs)]
    results = defaultdict(dict)  # incentive pk -> {"claim": outcome, "cancel": outcome}

    def racer(index):
        pair, role = divmod(index, 2)
        for incentive in incentives[pair::pairs]:
            mine = fresh(incentive.pk)
            barriers[pair].wait()  # the claim and the cancel of this incentive start together
            if role == 0:
                results[incentive.pk]["claim"] = outcome(lambda: claim(mine))
            else:
                results[incentive.pk]["cancel"] = outcome(lambda: services.incentive_cancel(incentive=mine, actor=researcher))

    seconds = run_together(racer, threads=pairs * 2)

    statuses = dict(Incentive.objects.filter(study=study).values_list("pk", "status"))
    kinds = ledger_kinds(incentives)
    winners = Counter()
    for pk, pair in results.items():
        won = [action for action, answer in pair.items() if answer == "ok"]
        assert len(won) == 1, (pk, pair)
        winners[won[0]] += 1
        if won == ["claim"]:
            assert (statuses[pk], kinds[pk], pair["cancel"]) == ("claimed", [Kind.SETTLE], "already_claimed")
        else:
            assert (statuses[pk], kinds[pk], pair["claim"]) == ("cancelled", [Kind.RELEASE], "cancelled")
    assert len(results) == 500
    both = sum(len(found) > 1 for found in kinds.values())
    assert both == 0
    assert figures(budget) == (winners["cancel"] * 100, 0, winners["claim"] * 100)
    assert ledger_problems() == []
    report(
        capsys,
        f"[claim vs cancel] 500 incentives, claim and cancel at once ({pairs} pairs of threads): "
        f"{winners['claim']} claims won, {winners['cancel']} cancels won, {both} paid and refunded, "
        f"{len(errors(a for pair in results.values() for a in pair.values()))} errors, ledger clean, {seconds:.1f} s",
    )


def test_sends_racing_a_study_close_leave_nothing_unclaimed_in_the_closed_study(organization, owner, researcher, capsys):
    """Sends use the study the page loaded, while the researcher closes it (claims after closing
    off): each send either committed before the close (and the close expired it) or was refused
    as closed; none commits an unclaimed incentive into the closed study."""
    organization.claims_allowed_after_study_closes = False
    organization.save(update_fields=["claims_allowed_after_study_closes"])
    budget = make_budget(organization, name="Send or close", funds_minor=100_000, actor=owner)
    study = make_study(budget=budget, owner=researcher, amount_minor=100)
    people = add_participants(study, 200)
    todo = shared_queue([person.pk for person in people])
    loaded = Study.objects.get(pk=study.pk)  # the object each send view would hold: open
    sends, closed, some_sent = [], [], threading.Event()

    def researcher_at_work(index):
        if index == 0:
            assert some_sent.wait(30)
            closed.append(outcome(lambda: study_close(study=Study.objects.get(pk=study.pk), actor=researcher)))
            return
        for pk in drain(todo):
            sends.append(outcome(lambda: services.incentives_send(
                study=Study.objects.get(pk=loaded.pk) if index % 2 else loaded, participant_ids=[pk],
                amount=Money(100, "USD"), subject="Thanks", message="Thanks", actor=researcher,
            )))
            if len(sends) >= 20:
                some_sent.set()

    seconds = run_together(researcher_at_work, threads=8)

    assert closed == ["ok"], closed
    counts = Counter(sends)
    assert set(counts) <= {"ok", "study_closed"}, counts
    statuses = Counter(Incentive.objects.filter(study=study).values_list("status", flat=True))
    assert statuses["unclaimed"] == 0, statuses
    assert statuses["expired"] == counts["ok"] and counts["study_closed"] == 200 - counts["ok"] > 0
    assert figures(budget) == (100_000, 0, 0)
    assert ledger_problems() == []
    report(capsys, f"send vs close: {counts['ok']} sent then expired, {counts['study_closed']} refused as closed, {seconds:.1f} s")


def test_a_send_from_a_page_loaded_before_the_close_is_refused(organization, owner, researcher):
    budget = make_budget(organization, name="Stale page", funds_minor=10_000, actor=owner)
    study = make_study(budget=budget, owner=researcher, amount_minor=100)
    person = add_participants(study, 1)[0]
    stale = Study.objects.get(pk=study.pk)
    study_close(study=Study.objects.get(pk=study.pk), actor=researcher)
    assert outcome(lambda: services.incentives_send(
        study=stale, participant_ids=[person.pk], amount=Money(100, "USD"), subject="Thanks", message="Thanks", actor=researcher,
    )) == "study_closed"
    assert not Incentive.objects.filter(study=study).exists() and figures(budget) == (10_000, 0, 0)


def test_closing_a_study_while_its_links_are_claimed_expires_the_rest_and_pays_the_claimed_once(
    organization, owner, researcher, capsys
):
    """Closing expires every unclaimed incentive in one transaction (claims after closing are off)
    while the participants claim: each incentive is claimed or expired, never both, and the
    close itself neither deadlocks nor fails."""
    organization.claims_allowed_after_study_closes = False
    organization.save(update_fields=["claims_allowed_after_study_closes"])
    budget = make_budget(organization, name="Closing", funds_minor=30_000, actor=owner)
    study = make_study(budget=budget, owner=researcher, amount_minor=100)
    incentives = send_to(study, 300, actor=researcher, amount_minor=100)
    todo = shared_queue(random.Random(5).sample([incentive.pk for incentive in incentives], k=300))  # any order
    claims, closed, some_claimed = [], [], threading.Event()

    def participant_or_researcher(index):
        if index == 0:  # the researcher closes the study once claims are under way
            assert some_claimed.wait(30)
            closed.append(outcome(lambda: study_close(study=Study.objects.get(pk=study.pk), actor=researcher)))
            return
        for pk in drain(todo):
            claims.append(outcome(lambda: claim(fresh(pk))))
            if len(claims) >= 30:
                some_claimed.set()

    seconds = run_together(participant_or_researcher)

    assert closed == ["ok"], closed
    counts = Counter(claims)
    assert set(counts) <= {"ok", "expired"}, counts
    statuses = Counter(Incentive.objects.filter(study=study).values_list("status", flat=True))
    assert (statuses["claimed"], statuses["expired"]) == (counts["ok"], 300 - counts["ok"]), statuses
    assert 30 <= statuses["claimed"] < 300
    kinds = ledger_kinds(incentives)
    assert all(len(found) == 1 for found in kinds.values()) and len(kinds) == 300
    assert figures(budget) == (statuses["expired"] * 100, 0, statuses["claimed"] * 100)
    assert ledger_problems() == []
    report(
        capsys,
        f"[close vs claims] 300 links claimed while the study closes: {statuses['claimed']} claimed, "
        f"{statuses['expired']} expired, 0 both, close {closed[0]}, {len(errors(claims))} errors, {seconds:.1f} s",
    )


def test_fifty_simultaneous_claims_of_one_link_pay_once(organization, owner, researcher, capsys):
    budget = make_budget(organization, name="One link", funds_minor=10_000, actor=owner)
    study = make_study(budget=budget, owner=researcher, amount_minor=2_500)
    incentive = send_to(study, 1, actor=researcher)[0]
    token = token_from(mail.outbox[-1])  # the link as the participant received it
    outcomes = []

    def claimer(_):
        mine = services.incentive_for_token(token)  # what the claim page does with the link
        outcomes.append(outcome(lambda: claim(mine)))

    # 50 connections at once: the point of this test (PostgreSQL allows 100).
    seconds = run_together(claimer, threads=50)

    counts = Counter(outcomes)
    assert counts == {"ok": 1, "claimed": 49}, counts
    assert ledger_kinds([incentive]) == {incentive.pk: [Kind.SETTLE]}
    assert figures(budget) == (7_500, 0, 2_500)
    assert ledger_problems() == []
    report(
        capsys,
        f"[one link] 50 simultaneous claims: {counts['ok']} success, {counts['claimed']} told it was claimed, "
        f"{len(errors(outcomes))} errors, {len(ledger_kinds([incentive])[incentive.pk])} settle transaction, {seconds:.1f} s",
    )


def test_two_hundred_partial_redemptions_of_one_pool_through_ui_bulk_and_api_never_exceed_it(
    organization, researcher, client_for, capsys
):
    """The pool is an account's shared balance: four $25.00 rewards. The UI and the API redeem
    from one reward each time, the bulk upload by reward or by account (oldest rewards first)."""
    account, advocates = make_account(organization)
    rewards = [make_reward(account, amount_minor=2_500, external_id=f"POOL-{n}") for n in range(4)]
    _, raw_key = api_key_create(organization=organization, name="Race", actor=None)
    draw = random.Random(8)
    asked = {}  # note (path-number) -> minor units asked
    for number in range(200):  # $0.50 to $1.50 each: about twice what the pool holds
        asked[f"{('ui', 'bulk', 'api')[number % 3]}-{number}"] = draw.randint(50, 150)
    todo = shared_queue(asked)
    answers = {}  # note -> what the path answered

    def redeemer(_):
        ui, api = client_for(researcher), Api(raw_key)
        for note in drain(todo):
            path, number = note.split("-")
            reward, amount = rewards[int(number) % 4], Money(asked[note], "USD")
            if path == "ui":
                url = reverse("rewards:reward_redeem", args=[advocates[0].pk, reward.pk])
                answers[note] = ui.post(url, {"amount": amount.plain(), "note": note}).status_code
            elif path == "api":
                body = {"amount_minor": amount.amount_minor, "note": note}
                answers[note] = api.post(f"/rewards/{reward.pk}/redeem", body).status_code
            else:
                row = f"{account.external_id},," if int(number) % 2 else f",{reward.external_id},"
                text = f"account_external_id,reward_external_id,amount,note\n{row}{amount.plain()},{note}\n"
                rows = bulk.bulk_apply(organization=organization, text=text, user=researcher)
                answers[note] = rows[0].result or rows[0].error

    seconds = run_together(redeemer)

    redemptions = Redemption.objects.filter(reward__account=account)
    redeemed = dict(redemptions.values("note").annotate(total=Sum("amount_minor")).values_list("note", "total"))
    assert all(asked[note] == amount for note, amount in redeemed.items())  # all or nothing per request
    total = sum(redeemed.values())
    assert total == sum(Reward.objects.filter(account=account).values_list("redeemed_minor", flat=True)) <= 10_000
    balance = account.balances.select_related("available_account", "redeemed_account").get(currency="USD")
    assert (balance.available_account.balance_minor, balance.redeemed_account.balance_minor) == (10_000 - total, total)
    moves = LedgerTransaction.objects.filter(organization=organization, kind=Kind.REWARD_REDEEM)
    assert moves.count() == redemptions.count()
    assert ledger_problems() == []
    # What each path answered agrees with what was redeemed; nothing answered a server error.
    for note, answer in answers.items():
        ok = note in redeemed
        if note.startswith("ui"):
            assert answer == 302
        elif note.startswith("api"):
            assert answer == 200 if ok else answer in (409, 422), (note, answer)
        else:
            assert (answer == "applied") == ok, (note, answer)
    assert len(answers) == 200
    tried, won = (Counter(note.split("-")[0] for note in notes) for notes in (asked, redeemed))
    report(
        capsys,
        f"[reward pool] 200 partial redemptions of a $100.00 account pool (4 rewards) asking "
        f"${sum(asked.values()) / 100:.2f} ({', '.join(f'{path} {won[path]}/{tried[path]}' for path in tried)} "
        f"redeemed): {len(redeemed)} ok, {200 - len(redeemed)} refused, redeemed ${total / 100:.2f} of $100.00, "
        f"0 server errors, ledger clean, {seconds:.1f} s",
    )
