import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from incentives.services import incentive_cancel
from tenancy.services import api_key_create

from ..incentives.helpers import send_to
from ..studies.factories import make_study
from .test_rewards_api import Api

pytestmark = pytest.mark.django_db


@pytest.fixture
def study(budget, researcher):
    return make_study(budget=budget, owner=researcher, name="Onboarding interviews")


def test_incentives_are_listed_read_only_with_their_status_and_filterable(organization, study, researcher):
    first, second = send_to(study, 2, actor=researcher)
    incentive_cancel(incentive=second, actor=researcher)
    _, raw = api_key_create(organization=organization, name="Tests", actor=None)
    api = Api(raw)
    body = api.get("/incentives").json()
    assert body["count"] == 2
    assert {item["status"] for item in body["items"]} == {"unclaimed", "cancelled"}
    assert body["items"][0]["study"] == "Onboarding interviews"
    cancelled = api.get("/incentives", status="cancelled").json()
    assert [item["id"] for item in cancelled["items"]] == [second.pk]
    assert api.post("/incentives").status_code == 405


def test_incentives_of_another_organization_are_not_listed(other_organization, study, researcher):
    send_to(study, 1, actor=researcher)
    _, raw = api_key_create(organization=other_organization, name="Theirs", actor=None)
    assert Api(raw).get("/incentives").json() == {"count": 0, "items": []}


@pytest.mark.parametrize("count", [1, 6])
def test_the_incentives_list_makes_the_same_number_of_queries_for_few_and_many(organization, study, researcher, count):
    send_to(study, count, actor=researcher)
    _, raw = api_key_create(organization=organization, name="Tests", actor=None)
    with CaptureQueriesContext(connection) as queries:
        assert Api(raw).get("/incentives").status_code == 200
    assert len(queries) == 4  # key, last used, count, page
