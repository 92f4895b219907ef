"""GET /api/v1/approvals and POST …/approve, …/reject: the same two-person rule as the page;
a key acts for the owner or admin who created it."""

import pytest

from approvals.models import Approval
from core.models import OutboundEmail
from incentives.models import Incentive
from tenancy.services import api_key_create

from ..api.test_rewards_api import Api
from ..factories import member
from ..incentives.helpers import send_to

pytestmark = pytest.mark.django_db


def key_of(user, organization) -> Api:
    _, raw = api_key_create(organization=organization, name=f"{user.email}'s key", actor=user)
    return Api(raw)


@pytest.fixture
def waiting(thresholds, study, researcher):
    send_to(study, 5, actor=researcher)
    return Approval.objects.get()


def test_the_list_shows_waiting_requests(organization, owner, waiting):
    body = key_of(owner, organization).get("/approvals", status="pending").json()
    assert body["count"] == 1
    item = body["items"][0]
    assert (item["id"], item["status"], item["amount_minor"], item["kind"]) == (waiting.pk, "pending", 12_500, "incentives_send")


def test_another_organizations_requests_are_not_listed_nor_found(other_organization, outsider, waiting):
    api = key_of(outsider, other_organization)
    assert api.get("/approvals").json() == {"count": 0, "items": []}
    assert api.post(f"/approvals/{waiting.pk}/approve").status_code == 404


def test_an_admins_key_approves_and_the_send_runs_once(organization, admin_user, waiting):
    api = key_of(admin_user, organization)
    answer = api.post(f"/approvals/{waiting.pk}/approve", headers={"Idempotency-Key": "k-1"})
    assert answer.status_code == 200 and answer.json()["status"] == "approved"
    assert answer.json()["decided_by"].startswith(f"{admin_user.email} (API key")
    assert api.post(f"/approvals/{waiting.pk}/approve", headers={"Idempotency-Key": "k-1"}).json() == answer.json()
    again = api.post(f"/approvals/{waiting.pk}/approve")
    assert (again.status_code, again.json()["code"]) == (409, "already_approved")
    assert OutboundEmail.objects.filter(purpose="incentive_claim").count() == 5


def test_the_requesters_key_cant_approve(organization, study, thresholds):
    owner = member(organization, "owner")
    send_to(study, 5, actor=owner)
    answer = key_of(owner, organization).post(f"/approvals/{Approval.objects.get().pk}/approve")
    assert (answer.status_code, answer.json()["code"]) == (403, "own_request")
    assert Approval.objects.get().status == "pending"


def test_a_key_without_an_owner_or_admin_behind_it_cant_approve(organization, waiting):
    _, raw = api_key_create(organization=organization, name="Script", actor=None)
    answer = Api(raw).post(f"/approvals/{waiting.pk}/approve")
    assert (answer.status_code, answer.json()["code"]) == (403, "not_approver")
    viewer = member(organization, "viewer")
    assert key_of(viewer, organization).post(f"/approvals/{waiting.pk}/approve").status_code == 403


def test_a_rejection_needs_a_reason_and_releases_the_money(organization, owner, waiting):
    api = key_of(owner, organization)
    assert api.post(f"/approvals/{waiting.pk}/reject", {"reason": ""}).status_code == 422
    answer = api.post(f"/approvals/{waiting.pk}/reject", {"reason": "Over budget"})
    assert answer.status_code == 200 and answer.json()["reason"] == "Over budget"
    assert set(Incentive.objects.values_list("status", flat=True)) == {"cancelled"}


def test_the_schema_describes_the_approvals_endpoints(client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    assert {"/api/v1/approvals", "/api/v1/approvals/{approval_id}/approve", "/api/v1/approvals/{approval_id}/reject"} <= set(paths)
