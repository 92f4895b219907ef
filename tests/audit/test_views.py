"""The Audit page: owners and admins only, their organization's changes only, filtered in the
list pattern, exported as CSV, and each object's history linked from its page."""

import csv
import datetime
import io

import pytest
from django.urls import reverse

from audit.context import acting
from audit.kinds import ActorKind
from studies.models import Participant

from ..studies.factories import make_study

URL = reverse("audit:list")


def add_people(organization, count, *, actor="owner@acme.test", ip="203.0.113.5", prefix="Person"):
    with acting(ActorKind.USER, actor, ip=ip):
        Participant.objects.bulk_create(
            Participant(organization=organization, name=f"{prefix} {n}", email=f"{prefix.lower()}{n}@example.test")
            for n in range(count)
        )


@pytest.mark.parametrize("role, status", [("owner", 200), ("admin_user", 200), ("researcher", 403), ("viewer", 403)])
def test_only_owners_and_admins_see_the_audit_page(request, client_for, role, status):
    user = request.getfixturevalue(role)
    assert client_for(user).get(URL).status_code == status


def test_the_page_shows_only_this_organizations_changes(client_for, owner, organization, other_organization):
    add_people(organization, 1, prefix="Ours")
    add_people(other_organization, 1, prefix="Theirs", actor="spy@globex.test")
    page = client_for(owner).get(URL).content.decode()
    assert "Ours 0" in page and "Theirs 0" not in page and "spy@globex.test" not in page


def test_another_organizations_object_history_shows_nothing_of_it(client_for, owner, other_organization, outsider):
    add_people(other_organization, 1, prefix="Theirs")
    theirs = Participant.objects.get(organization=other_organization)
    page = client_for(owner).get(URL, {"object": f"studies.participant:{theirs.pk}"}).content.decode()
    assert "Theirs 0" not in page and "No changes match." in page


@pytest.mark.parametrize("count", [5, 120])
def test_the_audit_page_does_a_constant_number_of_queries(client_for, owner, organization, count, django_assert_num_queries):
    add_people(organization, count)
    client = client_for(owner)
    # session, user, memberships, saved columns, the page's events, beat's last tick (the managers' banner), the approvals badge
    with django_assert_num_queries(7):
        page = client.get(URL).content.decode()
    assert page.count("<small>Person ") == min(count, 50)  # the newest first: the people, each a row
    assert page.count("owner@acme.test<br>") == min(count, 50)


def test_filters_by_actor_object_type_action_and_date_and_answers_htmx_with_results_only(client_for, owner, organization, budget, researcher):
    add_people(organization, 2, actor="alice@acme.test", prefix="Alice")
    add_people(organization, 2, actor="bob@acme.test", prefix="Bob")
    client = client_for(owner)
    page = client.get(URL, {"actor": "alice"}, HTTP_HX_REQUEST="true").content.decode()
    assert "Alice 0" in page and "Bob 0" not in page and "<form" not in page
    page = client.get(URL, {"object_type": "budgets.budget"}).content.decode()
    assert "Interviews" in page and "Alice 0" not in page
    page = client.get(URL, {"action": "created", "object_type": "studies.participant"}).content.decode()
    assert "Alice 0" in page and "Bob 1" in page
    tomorrow = datetime.date.today() + datetime.timedelta(days=1)
    assert "Alice 0" not in client.get(URL, {"date_from": tomorrow.isoformat()}).content.decode()
    assert "Alice 0" in client.get(URL, {"date_to": tomorrow.isoformat()}).content.decode()


def test_bad_filters_say_what_is_wrong(client_for, owner):
    page = client_for(owner).get(URL, {"date_from": "2026-05-02", "date_to": "2026-05-01", "object": "x"}).content.decode()
    assert "The end date is before the start date." in page and "Name an object as type:id" in page


def test_a_studys_history_holds_it_and_what_belongs_to_it(client_for, owner, budget, researcher):
    from incentives.services.studies import study_close

    from ..incentives.helpers import send_to

    study = make_study(budget=budget, owner=researcher, name="Diary study")
    other = make_study(budget=budget, owner=researcher, name="Other study")
    send_to(study, 1, actor=researcher)
    study_close(study=other, actor=researcher)
    client = client_for(owner)
    detail = client.get(reverse("studies:detail", args=[study.pk])).content.decode()
    link = f"{URL}?object=studies.study%3A{study.pk}"
    assert f'href="{link}"' in detail
    page = client.get(link).content.decode()
    assert "Audit log: Study #" in page and "Incentive #" in page and "Study participant #" in page
    assert "Other study" not in page


def test_object_pages_link_to_their_history_for_managers_only(client_for, owner, researcher, budget):
    path = reverse("budgets:detail", args=[budget.pk])
    assert "history-link" in client_for(owner).get(path).content.decode()
    assert "history-link" not in client_for(researcher).get(path).content.decode()


def test_the_csv_export_has_the_filtered_rows_with_formulas_neutralised(client_for, owner, organization):
    add_people(organization, 1, actor="=HYPERLINK(1)", prefix="Alice")
    add_people(organization, 1, actor="bob@acme.test", prefix="Bob")
    response = client_for(owner).get(URL, {"actor": "hyperlink", "export": "csv"})
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][:3] == ["When (UTC)", "Actor kind", "Actor"]
    assert len(rows) == 2 and rows[1][2] == "'=HYPERLINK(1)" and rows[1][7] == "Alice 0"
    assert rows[1][3] == "203.0.113.5" and '"Alice 0"' in rows[1][11]
