import pytest

from core.money import Money
from studies import services
from studies.models import Participant, StudyParticipant

from ..factories import make_budget
from .factories import add_participants, make_study

pytestmark = pytest.mark.django_db
Status = StudyParticipant.Status


def test_the_creator_owns_a_new_study_with_its_incentive_plan(budget, researcher, admin_user):
    study = make_study(budget=budget, owner=researcher, owners=[admin_user], amount_minor=3_000)
    assert set(study.owners.all()) == {researcher, admin_user}
    assert study.incentive_amount == Money(3_000, "USD") and study.is_open


def test_a_plan_in_another_currency_than_its_budget_is_refused(budget, researcher):
    with pytest.raises(services.StudyError, match="is in USD"):
        services.study_create(organization=budget.organization, name="X", budget=budget, amount=Money(100, "EUR"), actor=researcher)


def test_a_zero_plan_amount_is_refused(budget, researcher):
    with pytest.raises(services.StudyError, match="greater than zero"):
        services.study_create(organization=budget.organization, name="X", budget=budget, amount=Money(0, "USD"), actor=researcher)


def test_another_organizations_budget_cant_fund_a_study(budget, other_organization, outsider):
    with pytest.raises(services.StudyError):
        services.study_create(organization=other_organization, name="X", budget=budget, amount=Money(100, "USD"), actor=outsider)


@pytest.mark.smoke
def test_completing_a_scheduled_interview_means_the_incentive_is_not_sent_yet(study, researcher):
    membership = services.study_participant_add(study=study, actor=researcher, name="Ada", email="ada@example.test", status=Status.SCHEDULED)
    membership = services.study_participant_set_status(study_participant=membership, actor=researcher, status=Status.INTERVIEW_COMPLETED)
    assert membership.status == Status.INCENTIVE_NOT_SENT and membership.is_done


def test_completing_an_interview_that_was_not_scheduled_stays_interview_completed(study, researcher):
    membership = services.study_participant_add(study=study, actor=researcher, name="Ada", email="ada@example.test")
    membership = services.study_participant_set_status(study_participant=membership, actor=researcher, status=Status.INTERVIEW_COMPLETED)
    assert membership.status == Status.INTERVIEW_COMPLETED


def test_incentive_sent_is_never_set_by_hand(study, researcher):
    membership = services.study_participant_add(study=study, actor=researcher, name="Ada", email="ada@example.test")
    with pytest.raises(services.StudyError, match="sending an incentive"):
        services.study_participant_set_status(study_participant=membership, actor=researcher, status=Status.INCENTIVE_SENT)


def test_one_participant_per_email_in_an_organization_across_studies(study, budget, researcher):
    other = make_study(budget=budget, owner=researcher)
    services.study_participant_add(study=study, actor=researcher, name="Ada", email="Ada@Example.test")
    services.study_participant_add(study=other, actor=researcher, name="Ada L.", email="ada@example.test")
    assert Participant.objects.for_org(study.organization).count() == 1


def test_the_same_person_twice_in_a_study_is_refused(study, researcher):
    services.study_participant_add(study=study, actor=researcher, name="Ada", email="ada@example.test")
    with pytest.raises(services.StudyError, match="already"):
        services.study_participant_add(study=study, actor=researcher, name="Ada", email="ada@example.test")


def test_a_csv_upload_adds_each_row_and_skips_people_already_in_the_study(study, researcher):
    services.study_participant_add(study=study, actor=researcher, name="Ada", email="ada@example.test")
    result = services.study_participants_import(
        study=study, actor=researcher, csv_text="name,email\nAda,ada@example.test\nAlan Turing,alan@example.test\n\n\"Hopper, Grace\",grace@example.test\n"
    )
    assert result.errors == [] and result.added == ["alan@example.test", "grace@example.test"] and result.skipped == ["ada@example.test"]
    assert StudyParticipant.objects.filter(study=study, status=Status.INVITED).count() == 3


def test_malformed_csv_rows_are_each_reported_and_nothing_is_added(study, researcher):
    text = "Ada,ada@example.test\nAlan,not-an-email\nonly one column\n,empty@example.test\nGrace,g@example.test,extra\nAda again,ADA@example.test\n"
    result = services.study_participants_import(study=study, actor=researcher, csv_text=text)
    assert result.errors == [
        "Row 2: “not-an-email” is not an email address.",
        "Row 3: expected 2 columns (name, email) or 4 (name, email, session time, session minutes), found 1.",
        "Row 4: the name is empty.",
        "Row 5: expected 2 columns (name, email) or 4 (name, email, session time, session minutes), found 3.",
        "Row 6: ADA@example.test appears twice in the file.",
    ]
    assert result.added == [] and not StudyParticipant.objects.filter(study=study).exists()


def test_an_empty_csv_is_refused(study, researcher):
    result = services.study_participants_import(study=study, actor=researcher, csv_text="name,email\n")
    assert result.errors == ["The file has no rows of name and email."]


def test_only_owners_and_admins_manage_a_study(study, researcher, admin_user, owner, organization):
    from ..factories import member

    other_researcher = member(organization, "researcher")
    assert services.study_can_manage(study=study, user=researcher)
    assert services.study_can_manage(study=study, user=admin_user) and services.study_can_manage(study=study, user=owner)
    assert not services.study_can_manage(study=study, user=other_researcher)
    with pytest.raises(services.NotAllowed):
        services.study_participant_add(study=study, actor=other_researcher, name="Ada", email="ada@example.test")


def test_a_study_owner_demoted_to_viewer_manages_nothing(study, researcher, organization):
    from tenancy.models import Membership

    Membership.objects.filter(user=researcher, organization=organization).update(role=Membership.Role.VIEWER)
    assert study.owners.filter(pk=researcher.pk).exists()
    assert not services.study_can_manage(study=study, user=researcher)
    with pytest.raises(services.NotAllowed):
        services.study_participant_add(study=study, actor=researcher, name="Ada", email="ada@example.test")
    assert not study.memberships.exists()


def test_a_budget_in_euros_reads_the_plan_in_euros(organization, owner, researcher):
    euros = make_budget(organization, currency="EUR", funds_minor=10_000, actor=owner)
    study = make_study(budget=euros, owner=researcher, amount_minor=4_000)
    assert str(study.incentive_amount) == "€40.00"
