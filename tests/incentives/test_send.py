"""Sending incentives at service level: money, emails, claim links, the rules."""

import pytest
from django.core import mail
from django.core.management import call_command

from budgets.models import Budget
from budgets.services import InsufficientFunds
from core.models import OutboundEmail
from core.money import Money
from core.tasks import outbound_email_deliver
from incentives import services, tokens
from incentives.models import Incentive
from studies.models import StudyParticipant
from studies.services import NotAllowed

from ..factories import member
from ..studies.factories import add_participants
from .helpers import send_to, token_from

pytestmark = pytest.mark.django_db
Status = StudyParticipant.Status


def budget_figures(budget):
    budget = Budget.objects.with_accounts().get(pk=budget.pk)
    # The third figure is what claims hold: owed (payable) or paid out (docs/payouts.md).
    return budget.available_minor, budget.reserved_minor, budget.payable_minor + budget.paid_out_minor


@pytest.mark.smoke
def test_send_reserves_the_total_creates_incentives_and_emails_each_participant(study, researcher, budget, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        incentives = send_to(study, 2, actor=researcher)
    assert budget_figures(budget) == (95_000, 5_000, 0)
    assert [i.status for i in incentives] == ["unclaimed", "unclaimed"]
    assert set(StudyParticipant.objects.filter(study=study).values_list("status", flat=True)) == {Status.INCENTIVE_SENT}
    assert len(mail.outbox) == 2
    message = mail.outbox[0]
    assert message.from_email == f"{study.organization.name} <incentives@example.com>"
    html = message.alternatives[0][0]
    assert "$25.00" in message.body and "$25.00" in html and "Claim your incentive" in html
    assert OutboundEmail.objects.filter(status="sent", purpose="incentive_claim").count() == 2
    call_command("verify_ledger")


def test_the_send_is_one_ledger_reservation(study, researcher, budget):
    send_to(study, 3, actor=researcher)
    reserves = budget.transactions.filter(kind="reserve")
    assert reserves.count() == 1 and reserves.get().reference == f"study:{study.pk}"


def test_each_claim_link_is_unique_and_only_its_hash_and_nonce_are_stored(study, researcher, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        incentives = send_to(study, 2, actor=researcher)
    links = {message.to[0]: token_from(message) for message in mail.outbox}
    assert len(set(links.values())) == 2
    for incentive in Incentive.objects.filter(pk__in=[i.pk for i in incentives]).select_related("participant"):
        token = next(t for to, t in links.items() if incentive.participant.email in to)
        assert incentive.token_hash == tokens.token_hash(token)
        row = Incentive.objects.filter(pk=incentive.pk).values().get()
        assert not any(token in str(value) for value in row.values())


def test_a_claim_token_has_256_bits_from_a_128_bit_random_nonce():
    nonce = tokens.new_nonce()
    assert len(bytes.fromhex(nonce)) == 16
    assert len(tokens.claim_token(nonce)) == 43 and tokens.claim_token(nonce) == tokens.claim_token(nonce)


def test_insufficient_funds_create_nothing_reserve_nothing_and_say_why(study, researcher, budget, django_capture_on_commit_callbacks):
    people = add_participants(study, 3)
    with django_capture_on_commit_callbacks() as callbacks, pytest.raises(InsufficientFunds) as refused:
        services.incentives_send(
            study=study, participant_ids=[p.pk for p in people], amount=Money(40_000, "USD"), subject="Thanks", message="", actor=researcher
        )
    assert refused.value.message == "Budget Interviews has $1,000.00 available; this send needs $1,200.00."
    assert budget_figures(budget) == (100_000, 0, 0)
    assert not Incentive.objects.exists() and not OutboundEmail.objects.exists() and callbacks == []
    assert set(StudyParticipant.objects.filter(study=study).values_list("status", flat=True)) == {Status.INCENTIVE_NOT_SENT}


@pytest.mark.parametrize("amount_minor", [0, -500])
def test_a_zero_or_negative_amount_is_refused(study, researcher, budget, amount_minor):
    people = add_participants(study, 1)
    with pytest.raises(services.IncentiveError, match="greater than zero"):
        services.incentives_send(study=study, participant_ids=[people[0].pk], amount=Money(amount_minor, "USD"), subject="Hi", message="", actor=researcher)
    assert budget_figures(budget) == (100_000, 0, 0) and not Incentive.objects.exists()


@pytest.mark.parametrize("status", [Status.INVITED, Status.SCHEDULED])
def test_a_participant_outside_the_done_group_is_refused(study, researcher, status):
    done, waiting = add_participants(study, 1), add_participants(study, 1, status)
    with pytest.raises(services.IncentiveError, match="not in the Done group"):
        services.incentives_send(study=study, participant_ids=[done[0].pk, waiting[0].pk], amount=Money(100, "USD"), subject="Hi", message="", actor=researcher)
    assert not Incentive.objects.exists()


def test_a_participant_of_another_study_is_refused(study, budget, researcher):
    from ..studies.factories import make_study

    elsewhere = add_participants(make_study(budget=budget, owner=researcher), 1)
    with pytest.raises(services.IncentiveError, match="not in this study"):
        services.incentives_send(study=study, participant_ids=[elsewhere[0].pk], amount=Money(100, "USD"), subject="Hi", message="", actor=researcher)


def test_sending_twice_to_the_same_participant_pays_once(study, researcher, budget):
    people = add_participants(study, 1)
    send = dict(study=study, participant_ids=[people[0].pk], amount=Money(2_500, "USD"), subject="Hi", message="", actor=researcher)
    services.incentives_send(**send)
    with pytest.raises(services.IncentiveError, match="already"):
        services.incentives_send(**send)
    assert Incentive.objects.count() == 1 and budget_figures(budget) == (97_500, 2_500, 0)


def test_a_non_owner_researcher_and_a_viewer_cant_send(study, organization, viewer, budget):
    people = add_participants(study, 1)
    for user in (member(organization, "researcher"), viewer):
        with pytest.raises(NotAllowed):
            services.incentives_send(study=study, participant_ids=[people[0].pk], amount=Money(100, "USD"), subject="Hi", message="", actor=user)
    assert budget_figures(budget) == (100_000, 0, 0)


def test_an_organization_admin_may_send_for_any_study(study, admin_user):
    assert len(send_to(study, 1, actor=admin_user)) == 1


def test_a_closed_study_sends_nothing(study, researcher):
    from incentives.services.studies import study_close

    study_close(study=study, actor=researcher)
    with pytest.raises(services.IncentiveError, match="closed"):
        send_to(study, 1, actor=researcher)


def test_running_the_email_task_twice_sends_one_email(study, researcher, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        incentive = send_to(study, 1, actor=researcher)[0]
    outbound_email_deliver.delay(incentive.claim_email_id)
    outbound_email_deliver.delay(incentive.claim_email_id)
    assert len(mail.outbox) == 1


def test_the_email_escapes_what_researchers_and_participants_write(study, researcher, django_capture_on_commit_callbacks):
    people = add_participants(study, 1)
    people[0].name = '<img src=x onerror="alert(1)">'
    people[0].save()
    with django_capture_on_commit_callbacks(execute=True):
        services.incentives_send(
            study=study, participant_ids=[people[0].pk], amount=Money(2_500, "USD"),
            subject="Thanks", message="Hi {name}, <script>alert(2)</script>", actor=researcher,
        )
    html = mail.outbox[0].alternatives[0][0]
    assert "<script>" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(2)&lt;/script&gt;" in html and "&lt;img src=x" in html
    assert "<script>alert(2)</script>" in mail.outbox[0].body  # the text part is plain text


def test_a_send_takes_the_same_statements_for_3_and_for_60_participants_and_one_task_per_batch(
    study, researcher, django_capture_on_commit_callbacks, monkeypatch
):
    """The outbox rows are one INSERT and the broker gets one delivery task per batch of emails,
    however many are sent: the statements don't grow with N."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from core import services as core_services

    monkeypatch.setattr(core_services, "DELIVERY_BATCH", 25)
    counts, tasks = [], []
    for count in (3, 60):
        people = add_participants(study, count, Status.INCENTIVE_NOT_SENT)
        with django_capture_on_commit_callbacks() as callbacks, CaptureQueriesContext(connection) as queries:
            services.incentives_send(
                study=study, participant_ids=[p.pk for p in people], amount=Money(1_000, "USD"),
                subject="Thank you", message="Hi {name}, thanks!", actor=researcher,
            )
        counts.append(len(queries))
        tasks.append(len(callbacks))
    assert counts[0] == counts[1], counts
    assert tasks == [1, 3]  # ceil(3 / 25), ceil(60 / 25)
    assert OutboundEmail.objects.filter(purpose="incentive_claim").count() == 63


def test_emails_rendered_once_for_a_send_match_each_rendered_alone(study, researcher, organization):
    from incentives import emails

    names = ["Ada", "<b>Bold</b> & \"quoted\"", "Zoë 日本", "two\nlines"]
    args = dict(organization=organization, amount=Money(2_500, "USD"), subject="Hi", message="Dear {name},\n\nthanks.", url="URL")
    together = emails.render_claim_emails(participant_names=names, **args)
    assert together == [emails.render_claim_email(participant_name=name, **args) for name in names]
