import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from studies.models import Study, StudyParticipant

from ..factories import make_budget, member
from .factories import add_participants, make_study

pytestmark = pytest.mark.django_db
Status = StudyParticipant.Status


def detail(study):
    return reverse("studies:detail", args=[study.pk])


@pytest.mark.smoke
def test_the_study_list_shows_only_this_organizations_studies(client_for, researcher, study, other_organization, outsider):
    make_study(budget=make_budget(other_organization, actor=outsider), owner=outsider, name="Secret Globex study")
    page = client_for(researcher).get(reverse("studies:list")).content.decode()
    assert "Onboarding interviews" in page and "Secret Globex study" not in page


@pytest.mark.parametrize("name, method", [
    ("studies:detail", "get"), ("studies:edit", "get"), ("studies:panel", "get"), ("studies:close", "post"), ("studies:reopen", "post"),
    ("studies:participant_add", "post"), ("studies:participants_import", "post"),
])
def test_another_organizations_study_is_not_found(client_for, outsider, study, name, method):
    response = getattr(client_for(outsider), method)(reverse(name, args=[study.pk]))
    assert response.status_code == 404


def test_another_organizations_participant_status_is_not_found(client_for, outsider, study):
    person = add_participants(study, 1)[0]
    response = client_for(outsider).post(reverse("studies:participant_status", args=[study.pk, person.pk]), {"status": "invited"})
    assert response.status_code == 404


def test_a_researcher_creates_a_study_and_owns_it(client_for, researcher, budget):
    response = client_for(researcher).post(reverse("studies:create"), {"name": "Diary study", "budget": budget.pk, "amount": "30"})
    study = Study.objects.get(name="Diary study")
    assert response.status_code == 302 and response["Location"] == detail(study)
    assert list(study.owners.all()) == [researcher] and study.incentive_amount_minor == 3_000


@pytest.mark.parametrize("amount, error", [("0", "greater than zero"), ("-1", "greater than zero"), ("2.555", "at most 2 decimals"), ("", "required")])
def test_a_bad_plan_amount_is_shown_in_the_form_and_creates_nothing(client_for, researcher, budget, amount, error):
    response = client_for(researcher).post(reverse("studies:create"), {"name": "Diary study", "budget": budget.pk, "amount": amount})
    assert response.status_code == 200 and error in response.content.decode()
    assert not Study.objects.exists()


def test_a_viewer_cant_create_a_study(client_for, viewer, budget):
    response = client_for(viewer).post(reverse("studies:create"), {"name": "Diary study", "budget": budget.pk, "amount": "30"})
    assert response.status_code == 403 and not Study.objects.exists()


def test_the_plan_check_says_how_many_incentives_the_budget_covers(client_for, researcher, budget):
    response = client_for(researcher).get(reverse("studies:plan_check"), {"budget": budget.pk, "amount": "300"})
    assert "Budget Interviews has $1,000.00 available: enough for 3 incentives of $300.00." in response.content.decode()


def test_the_plan_check_ignores_another_organizations_budget(client_for, outsider, budget):
    response = client_for(outsider).get(reverse("studies:plan_check"), {"budget": budget.pk, "amount": "300"})
    assert "Interviews" not in response.content.decode()


def test_a_non_owner_researcher_cant_edit_or_add_participants(client_for, organization, study):
    client = client_for(member(organization, "researcher"))
    assert client.get(reverse("studies:edit", args=[study.pk])).status_code == 403
    assert client.post(reverse("studies:participant_add", args=[study.pk]), {"name": "A", "email": "a@example.test", "status": "invited"}).status_code == 403
    assert not StudyParticipant.objects.exists()


def test_an_owner_adds_a_participant_one_by_one(client_for, researcher, study):
    response = client_for(researcher).post(reverse("studies:participant_add", args=[study.pk]), {"name": "Ada", "email": "ada@example.test", "status": "scheduled"}, follow=True)
    assert "Added Ada." in response.content.decode()
    assert StudyParticipant.objects.get(study=study).status == "scheduled"


def test_a_bad_email_gets_a_message_and_adds_nobody(client_for, researcher, study):
    response = client_for(researcher).post(reverse("studies:participant_add", args=[study.pk]), {"name": "Ada", "email": "ada@", "status": "invited"}, follow=True)
    assert "Enter a valid email address." in response.content.decode() and not StudyParticipant.objects.exists()


def test_a_csv_upload_reports_its_bad_rows(client_for, researcher, study):
    upload = SimpleUploadedFile("people.csv", b"name,email\nAda,ada@example.test\nAlan,alan(at)example.test\n")
    response = client_for(researcher).post(reverse("studies:participants_import", args=[study.pk]), {"file": upload}, follow=True)
    page = response.content.decode()
    assert "Nothing was imported" in page and "Row 3: “alan(at)example.test” is not an email address." in page
    assert not StudyParticipant.objects.exists()


def test_a_csv_upload_adds_participants(client_for, researcher, study):
    upload = SimpleUploadedFile("people.csv", "Ada,ada@example.test\nZoë,zoe@example.test\n".encode("utf-8-sig"))
    response = client_for(researcher).post(reverse("studies:participants_import", args=[study.pk]), {"file": upload}, follow=True)
    assert "Added 2 participants." in response.content.decode()


def test_a_file_that_is_not_utf8_is_refused(client_for, researcher, study):
    upload = SimpleUploadedFile("people.csv", "Zoë,zoe@example.test\n".encode("latin-1"))
    response = client_for(researcher).post(reverse("studies:participants_import", args=[study.pk]), {"file": upload}, follow=True)
    assert "not UTF-8" in response.content.decode() and not StudyParticipant.objects.exists()


def test_changing_a_status_in_the_panel_returns_the_panel(client_for, researcher, study):
    person = add_participants(study, 1, Status.SCHEDULED)[0]
    response = client_for(researcher).post(
        reverse("studies:participant_status", args=[study.pk, person.pk]), {"status": "interview_completed", "group": "scheduled"}, HTTP_HX_REQUEST="true"
    )
    page = response.content.decode()
    assert response.status_code == 200 and 'id="panel"' in page and "Incentive not sent." in page
    assert StudyParticipant.objects.get(participant=person).status == Status.INCENTIVE_NOT_SENT


def test_a_viewer_reads_the_overview_without_actions(client_for, viewer, study):
    add_participants(study, 2)
    page = client_for(viewer).get(detail(study)).content.decode()
    assert "Person" in page and "Send Incentives" not in page and "Add participant" not in page


def test_the_done_panel_offers_send_to_owners(client_for, researcher, study):
    add_participants(study, 2)
    page = client_for(researcher).get(reverse("studies:panel", args=[study.pk]), {"group": "done"}, HTTP_HX_REQUEST="true").content.decode()
    assert "Send Incentives" in page and page.count('name="participants"') == 2


def test_closing_and_reopening_a_study(client_for, researcher, study):
    client = client_for(researcher)
    client.post(reverse("studies:close", args=[study.pk]))
    study.refresh_from_db()
    assert not study.is_open
    study.refresh_from_db()
    assert not study.is_open, "a second close (a double click, a retried request) is still closed"
    client.post(reverse("studies:reopen", args=[study.pk]))
    study.refresh_from_db()
    assert study.is_open
    client.post(reverse("studies:reopen", args=[study.pk]))
    study.refresh_from_db()
    assert study.is_open


@pytest.mark.parametrize("count", [5, 200])
def test_the_study_overview_does_a_constant_number_of_queries(client_for, researcher, study, count, django_assert_num_queries):
    for status in (Status.INVITED, Status.SCHEDULED, Status.SURVEY_COMPLETED, Status.INCENTIVE_NOT_SENT):
        add_participants(study, count // 4 + 1, status)
    client = client_for(researcher)
    with django_assert_num_queries(8):
        response = client.get(detail(study))
    assert response.content.decode().count('name="participants"') == 2 * (count // 4 + 1)


@pytest.mark.parametrize("count", [5, 200])
def test_the_done_panel_does_a_constant_number_of_queries(client_for, researcher, study, count, django_assert_num_queries):
    add_participants(study, count)
    client = client_for(researcher)
    with django_assert_num_queries(7):
        response = client.get(reverse("studies:panel", args=[study.pk]), {"group": "done"}, HTTP_HX_REQUEST="true")
    assert response.content.decode().count('name="participants"') == count


@pytest.mark.parametrize("count", [5, 200])
def test_the_study_list_does_a_constant_number_of_queries(client_for, researcher, budget, count, django_assert_num_queries):
    studies = [make_study(budget=budget, owner=researcher) for _ in range(count // 4 + 1)]
    for study in studies:
        add_participants(study, 3)
    client = client_for(researcher)
    # session, user, membership, saved columns, the budget filter's choices, the page's studies, their owners, +1 lookahead-free page
    with django_assert_num_queries(8):
        page = client.get(reverse("studies:list")).content.decode()
    shown = min(len(studies), 50)
    assert sum(f">{study.name}</a>" in page for study in studies) == shown
    assert page.count('<td class="num">3</td>') == 2 * shown  # each row's participants and done, counted in the same query


def test_an_owner_edits_the_incentive_plan(client_for, researcher, study, budget):
    client = client_for(researcher)
    assert 'value="25.00"' in client.get(reverse("studies:edit", args=[study.pk])).content.decode()
    response = client.post(reverse("studies:edit", args=[study.pk]), {"name": "Renamed", "budget": budget.pk, "amount": "40", "owners": [researcher.pk]})
    assert response.status_code == 302
    study.refresh_from_db()
    assert (study.name, study.incentive_amount_minor) == ("Renamed", 4_000)


@pytest.mark.parametrize("name, data", [
    ("studies:edit", {"name": "Renamed", "amount": "1"}),
    ("studies:close", {}),
    ("studies:participant_add", {"name": "Ada", "email": "ada@example.test"}),
    ("studies:participants_import", None),
    ("studies:participant_status", {"status": "invited"}),
    ("incentives:send", {"step": "send", "amount": "1", "subject": "Thanks", "message": "Thanks"}),
])
def test_a_study_owner_demoted_to_viewer_writes_nothing(client_for, researcher, organization, study, name, data):
    from incentives.models import Incentive
    from tenancy.models import Membership

    done = add_participants(study, 1, status=Status.INTERVIEW_COMPLETED)[0]
    Membership.objects.filter(user=researcher, organization=organization).update(role=Membership.Role.VIEWER)
    args = [study.pk, done.pk] if name == "studies:participant_status" else [study.pk]
    if data is None:
        data = {"file": SimpleUploadedFile("people.csv", b"name,email\nAda,ada@example.test\n", "text/csv")}
    elif name == "incentives:send":
        data["participants"] = [done.pk]
    data = {**data, "budget": study.budget_id} if name == "studies:edit" else data
    response = client_for(researcher).post(reverse(name, args=args), data)
    assert response.status_code == 403
    study.refresh_from_db()
    assert study.is_open and study.name == "Onboarding interviews"
    assert list(StudyParticipant.objects.filter(study=study).values_list("status", flat=True)) == [Status.INTERVIEW_COMPLETED]
    assert not Incentive.objects.exists()


def test_the_study_list_filters_and_answers_htmx_with_its_results_only(client_for, researcher, budget, other_organization, outsider):
    from incentives.services.studies import study_close

    open_one = make_study(budget=budget, owner=researcher, name="Diary open")
    closed = study_close(study=make_study(budget=budget, owner=researcher, name="Diary closed"), actor=researcher)
    page = client_for(researcher).get(reverse("studies:list"), {"status": "closed", "q": "diary"}, HTTP_HX_REQUEST="true").content.decode()
    assert closed.name in page and open_one.name not in page
    assert "<h1>" not in page and 'id="results"' in page
    foreign = make_budget(other_organization, actor=outsider)
    page = client_for(researcher).get(reverse("studies:list"), {"budget": foreign.pk}).content.decode()
    assert "Budget: Select a valid choice" in page and open_one.name in page  # another tenant's budget: said, and not applied


def test_the_study_list_shows_only_my_studies_when_asked(client_for, researcher, budget, owner):
    mine = make_study(budget=budget, owner=researcher, name="Mine")
    theirs = make_study(budget=budget, owner=owner, name="Theirs")
    page = client_for(researcher).get(reverse("studies:list"), {"mine": "mine"}).content.decode()
    assert f">{mine.name}</a>" in page and f">{theirs.name}</a>" not in page
