import re

import pytest
from django.urls import reverse

from budgets.tables import BudgetTable
from core.models import TablePreference
from core.services import table_columns_save

pytestmark = pytest.mark.django_db
HEADER = re.compile(r"<th[^>]*>\s*(?:<a[^>]*>)?\s*([^<]+?)\s*(?:</a>)?\s*</th>")


def headers(response) -> list[str]:
    return HEADER.findall(response.content.decode())


def test_a_person_keeps_the_columns_they_chose(client_for, owner, budget):
    client = client_for(owner)
    response = client.post(
        reverse("core:table_columns", args=["BudgetTable"]),
        {"columns": ["name", "available", "nonsense"], "next": reverse("budgets:list")},
    )
    assert response.status_code == 302 and response["Location"] == reverse("budgets:list")
    assert TablePreference.objects.get(user=owner, table="BudgetTable").columns == ["name", "available"]
    assert headers(client.get(reverse("budgets:list"))) == ["Name", "Available"]


def test_choosing_no_column_falls_back_to_the_defaults(owner):
    preference = table_columns_save(user=owner, table_name="BudgetTable", columns=[])
    assert preference.columns == list(BudgetTable.default_columns)


def test_column_choices_are_per_person(client_for, owner, admin_user, budget):
    client_for(owner).post(reverse("core:table_columns", args=["BudgetTable"]), {"columns": ["name"]})
    assert "Funded" in headers(client_for(admin_user).get(reverse("budgets:list")))


def test_unknown_tables_and_offsite_redirects_are_refused(client_for, owner):
    client = client_for(owner)
    assert client.post(reverse("core:table_columns", args=["Nope"]), {"columns": ["x"]}).status_code == 404
    response = client.post(reverse("core:table_columns", args=["BudgetTable"]), {"columns": ["name"], "next": "https://evil.example/"})
    assert response["Location"] == "/"
