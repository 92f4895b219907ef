import datetime
import threading

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.utils import timezone

from api.idempotency import fingerprint_of
from core.models import IdempotencyRecord
from rewards import services
from rewards.models import Redemption, Reward, RewardEvent
from rewards.services import programs
from tenancy.services import api_key_create, api_key_revoke

from ..rewards.helpers import SYSTEM, available, make_account, make_reward

pytestmark = pytest.mark.django_db


class Api:
    """A test client speaking JSON with a Bearer key."""

    def __init__(self, raw_key=None):
        self.client = Client()
        self.headers = {"Authorization": f"Bearer {raw_key}"} if raw_key else {}

    def get(self, path, **params):
        return self.client.get(f"/api/v1{path}", params, headers=self.headers)

    def post(self, path, body=None, headers=None):
        return self.client.post(
            f"/api/v1{path}", body or {}, content_type="application/json", headers={**self.headers, **(headers or {})}
        )


@pytest.fixture
def api(organization):
    _, raw = api_key_create(organization=organization, name="Tests", actor=None)
    return Api(raw)


@pytest.fixture
def outsider_api(other_organization):
    _, raw = api_key_create(organization=other_organization, name="Theirs", actor=None)
    return Api(raw)


@pytest.mark.smoke
def test_accounts_list_their_balances_per_currency(api, account, advocates):
    make_reward(account, amount_minor=5_000)
    make_reward(account, amount_minor=700, currency="EUR", available_at=timezone.now() + datetime.timedelta(days=3))
    response = api.get("/accounts")
    assert response.status_code == 200
    (item,) = response.json()["items"]
    assert item["balances"] == [
        {"currency": "EUR", "available_minor": 0, "pending_minor": 700, "redeemed_minor": 0},
        {"currency": "USD", "available_minor": 5_000, "pending_minor": 0, "redeemed_minor": 0},
    ]


def test_an_account_comes_with_its_advocates_and_rewards(api, account, advocates):
    reward = make_reward(account, advocate=advocates[0])
    body = api.get(f"/accounts/{account.pk}").json()
    assert [a["name"] for a in body["advocates"]] == ["Ana", "Ben"]
    assert body["rewards"][0] | {"id": reward.pk, "status": "available", "available_minor": 10_000} == body["rewards"][0]


def test_create_a_reward_pending_its_period_or_a_w9(api, account, advocates):
    body = {"amount_minor": 2_500, "currency": "usd", "event_at": "2026-01-02T10:00:00Z", "source_event": "Referral"}
    scheduled = api.post(f"/accounts/{account.pk}/rewards", body | {"pending_until": "2099-01-01T00:00:00Z"})
    assert scheduled.status_code == 201
    assert (scheduled.json()["status"], scheduled.json()["pending_reason"]) == ("pending", "scheduled")
    held = api.post(f"/accounts/{account.pk}/rewards", body | {"advocate_id": advocates[1].pk, "w9_required": True})
    assert (held.json()["status"], held.json()["pending_reason"]) == ("pending", "w9_required")
    assert Reward.objects.filter(account=account).count() == 2
    assert set(RewardEvent.objects.values_list("channel", "actor_label")) == {("api", "API key “Tests” (" + api.headers["Authorization"][7:17] + "…)")}


@pytest.mark.parametrize(
    "change, code",
    [
        ({"amount_minor": 0}, "invalid"),
        ({"currency": "ZZZ"}, "invalid_amount"),
        ({"currency": "XXX"}, "invalid_amount"),  # "no currency"
        ({"currency": "XTS"}, "invalid_amount"),  # reserved for testing
        ({"currency": "XAU"}, "invalid_amount"),  # gold, not money
        ({"event_at": "2999-01-01T00:00:00Z"}, "invalid_event_at"),
        ({"w9_required": True}, "invalid_advocate"),
        ({"source_event": "nul\x00byte"}, "invalid"),
        ({"pending_untill": "2099-01-01T00:00:00Z"}, "invalid"),  # a typo must not make it available at once
    ],
)
def test_invalid_reward_input_is_a_422_with_code_and_message_and_creates_nothing(api, account, change, code):
    body = {"amount_minor": 100, "currency": "USD", "event_at": "2026-01-02T10:00:00Z"} | change
    response = api.post(f"/accounts/{account.pk}/rewards", body)
    assert response.status_code == 422
    assert response.json()["code"] == code and response.json()["message"]
    assert not Reward.objects.exists()


def test_rewards_in_points_make_a_balance_of_their_own(api, account, advocates):
    body = {"amount_minor": 1_500, "currency": "pts", "event_at": "2026-01-02T10:00:00Z", "source_event": "Review"}
    reward = api.post(f"/accounts/{account.pk}/rewards", body).json()
    assert (reward["currency"], reward["available_minor"]) == ("PTS", 1_500)
    make_reward(account, amount_minor=2_000)
    assert api.post(f"/rewards/{reward['id']}/redeem", {"amount_minor": 400}).status_code == 200
    balances = api.get("/accounts").json()["items"][0]["balances"]
    assert [(b["currency"], b["available_minor"]) for b in balances] == [("PTS", 1_100), ("USD", 2_000)]


def test_redeem_part_then_all_and_then_conflict(api, account):
    reward = make_reward(account, amount_minor=1_000)
    part = api.post(f"/rewards/{reward.pk}/redeem", {"amount_minor": 300})
    assert part.status_code == 200
    assert part.json()["reward"]["available_minor"] == 700
    assert api.post(f"/rewards/{reward.pk}/redeem").json()["redemption"]["amount_minor"] == 700
    again = api.post(f"/rewards/{reward.pk}/redeem")
    assert (again.status_code, again.json()["code"]) == (409, "not_available")


@pytest.mark.parametrize("body", [{"amount": 100}, [{"amount_minor": 100}], 100, "100"])
def test_a_misspelled_field_or_a_body_that_is_not_an_object_is_a_422_and_redeems_nothing(api, account, body):
    # An omitted amount means "everything": a body the API can't read must not be taken for one.
    reward = make_reward(account, amount_minor=1_000)
    response = api.post(f"/rewards/{reward.pk}/redeem", body)
    assert (response.status_code, response.json()["code"]) == (422, "invalid")
    assert available(account) == 1_000 and not Redemption.objects.exists()


def test_redeeming_more_than_available_is_a_422_and_changes_nothing(api, account):
    reward = make_reward(account, amount_minor=1_000)
    response = api.post(f"/rewards/{reward.pk}/redeem", {"amount_minor": 1_001})
    assert response.status_code == 422
    assert response.json() == {"code": "insufficient_balance", "message": "This reward has $10.00 available; you asked to redeem $10.01."}
    assert available(account) == 1_000


@pytest.mark.smoke
def test_a_retried_redeem_with_the_same_idempotency_key_gives_the_same_response_and_one_redemption(api, account):
    reward = make_reward(account, amount_minor=1_000)
    headers = {"Idempotency-Key": "order-42"}
    first = api.post(f"/rewards/{reward.pk}/redeem", {"amount_minor": 400}, headers)
    second = api.post(f"/rewards/{reward.pk}/redeem", {"amount_minor": 400}, headers)
    assert first.status_code == second.status_code == 200
    assert first.json() == second.json()
    assert Redemption.objects.count() == 1
    assert available(account) == 600


def test_the_same_idempotency_key_with_another_body_is_a_422(api, account):
    reward = make_reward(account, amount_minor=1_000)
    headers = {"Idempotency-Key": "order-43"}
    api.post(f"/rewards/{reward.pk}/redeem", {"amount_minor": 400}, headers)
    response = api.post(f"/rewards/{reward.pk}/redeem", {"amount_minor": 500}, headers)
    assert (response.status_code, response.json()["code"]) == (422, "idempotency_key_reused")
    assert available(account) == 600


def test_a_duplicate_of_a_request_still_in_flight_is_a_409(api, organization, account):
    reward = make_reward(account, amount_minor=1_000)
    path = f"/api/v1/rewards/{reward.pk}/redeem"
    IdempotencyRecord.objects.create(
        organization=organization, key="busy", fingerprint=fingerprint_of(path, {"amount_minor": 100, "note": ""})
    )
    response = api.post(f"/rewards/{reward.pk}/redeem", {"amount_minor": 100}, {"Idempotency-Key": "busy"})
    assert (response.status_code, response.json()["code"]) == (409, "idempotency_in_progress")
    assert available(account) == 1_000


def test_idempotency_keys_are_per_organization(api, outsider_api, account, other_organization):
    mine = make_reward(account, amount_minor=1_000)
    other_account, _ = make_account(other_organization)
    theirs = make_reward(other_account, amount_minor=1_000)
    headers = {"Idempotency-Key": "shared-key"}
    assert api.post(f"/rewards/{mine.pk}/redeem", {"amount_minor": 100}, headers).status_code == 200
    assert outsider_api.post(f"/rewards/{theirs.pk}/redeem", {"amount_minor": 100}, headers).status_code == 200


def test_cancel_uncancel_release_and_w9_through_the_api(api, account, advocates):
    old = make_reward(account, days_ago=800)
    refused = api.post(f"/rewards/{old.pk}/cancel")
    assert (refused.status_code, refused.json()["code"]) == (409, "too_old_to_cancel")
    pending = make_reward(account, available_at=timezone.now() + datetime.timedelta(days=10))
    assert api.post(f"/rewards/{pending.pk}/cancel").json()["status"] == "cancelled"
    assert api.post(f"/rewards/{pending.pk}/uncancel").json()["status"] == "available"
    later = make_reward(account, available_at=timezone.now() + datetime.timedelta(days=10))
    assert api.post(f"/rewards/{later.pk}/release").json()["status"] == "available"
    held = make_reward(account, advocate=advocates[1], w9_required=True)
    assert api.post(f"/rewards/{held.pk}/release").status_code == 409
    body = api.post(f"/advocates/{advocates[1].pk}/w9").json()
    assert body["advocate"]["w9_submitted_at"] and [r["id"] for r in body["released"]] == [held.pk]


@pytest.mark.smoke
@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer ik_wrong"}, {"Authorization": "Basic abc"}])
def test_a_missing_or_bad_key_gets_a_401_and_sees_nothing(account, headers):
    make_reward(account)
    for response in (
        Client().get("/api/v1/accounts", headers=headers),
        Client().post(f"/api/v1/accounts/{account.pk}/rewards", {}, content_type="application/json", headers=headers),
    ):
        assert response.status_code == 401
        assert response.json()["code"] == "unauthorized"
        assert account.name not in response.content.decode()


def test_a_revoked_key_gets_a_401(organization, account):
    key, raw = api_key_create(organization=organization, name="Old", actor=None)
    api_key_revoke(key=key)
    assert Api(raw).get("/accounts").status_code == 401


def test_another_organizations_ids_are_404_and_change_nothing(outsider_api, account, advocates):
    reward = make_reward(account, advocate=advocates[1], w9_required=True)
    ready = make_reward(account)
    assert outsider_api.get("/accounts").json() == {"count": 0, "items": []}
    for response in (
        outsider_api.get(f"/accounts/{account.pk}"),
        outsider_api.post(f"/accounts/{account.pk}/rewards", {"amount_minor": 1, "currency": "USD", "event_at": "2026-01-01T00:00:00Z"}),
        outsider_api.post(f"/rewards/{ready.pk}/redeem"),
        outsider_api.post(f"/rewards/{ready.pk}/cancel"),
        outsider_api.post(f"/rewards/{reward.pk}/release"),
        outsider_api.post(f"/advocates/{advocates[1].pk}/w9"),
    ):
        assert response.status_code == 404
        assert response.json() == {"code": "not_found", "message": "Not found."}
    assert available(account) == 10_000
    assert Reward.objects.count() == 2


def test_a_malformed_body_is_a_422(api, account):
    reward = make_reward(account)
    response = api.client.post(f"/api/v1/rewards/{reward.pk}/redeem", "{not json", content_type="application/json", headers=api.headers)
    assert (response.status_code, response.json()["code"]) == (422, "invalid")


def test_an_unknown_endpoint_or_method_is_answered_in_json_too(api, account):
    reward = make_reward(account)
    unknown = api.get("/rewardz")
    assert (unknown.status_code, unknown.json()) == (404, {"code": "not_found", "message": "There is no endpoint GET /api/v1/rewardz."})
    wrong = api.get(f"/rewards/{reward.pk}/redeem")
    assert (wrong.status_code, wrong.json()["code"], wrong["Allow"]) == (405, "method_not_allowed", "POST")
    assert "use POST" in wrong.json()["message"] and available(account) == 10_000


def test_openapi_schema_and_docs_are_served(client):
    schema = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/rewards/{reward_id}/redeem" in schema["paths"]
    assert "/api/v1/incentives" in schema["paths"]
    docs = client.get("/api/v1/docs")
    assert docs.status_code == 200 and b"swagger-ui-bundle.js" in docs.content and b"cdn" not in docs.content.lower()


def race(raw_key, path, count, headers=None) -> list[int]:
    """`count` threads post the same redemption at once; their status codes."""
    barrier = threading.Barrier(count)
    statuses = []

    def redeem():
        try:
            api = Api(raw_key)
            barrier.wait()
            statuses.append(api.post(path, {"amount_minor": 1_000}, headers).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=redeem) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sorted(statuses)


@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_redemptions_against_a_balance_covering_ten_leave_exactly_ten(organization):
    account, _ = make_account(organization)
    reward = make_reward(account, amount_minor=10_000)
    _, raw = api_key_create(organization=organization, name="Race", actor=None)

    assert race(raw, f"/rewards/{reward.pk}/redeem", 20) == [200] * 10 + [409] * 10
    reward.refresh_from_db()
    assert (reward.redeemed_minor, reward.status) == (10_000, "redeemed")
    assert Redemption.objects.count() == 10
    call_command("verify_ledger")


@pytest.mark.parametrize("accounts", [1, 6])
def test_accounts_list_makes_the_same_number_of_queries_for_few_and_many(api, organization, accounts, django_assert_num_queries):
    for _ in range(accounts):
        account, _ = make_account(organization)
        make_reward(account)
    with django_assert_num_queries(5):  # key, its last use, count, accounts, balances
        assert len(api.get("/accounts").json()["items"]) == accounts


def test_a_claim_left_by_a_request_that_died_is_taken_over_after_a_while(api, organization, account):
    reward = make_reward(account, amount_minor=1_000)
    path = f"/api/v1/rewards/{reward.pk}/redeem"
    record = IdempotencyRecord.objects.create(
        organization=organization, key="dead", fingerprint=fingerprint_of(path, {"amount_minor": 100, "note": ""})
    )
    IdempotencyRecord.objects.filter(pk=record.pk).update(created_at=timezone.now() - datetime.timedelta(hours=1))
    response = api.post(f"/rewards/{reward.pk}/redeem", {"amount_minor": 100}, {"Idempotency-Key": "dead"})
    assert response.status_code == 200
    assert available(account) == 900


@pytest.mark.django_db(transaction=True)
def test_concurrent_duplicates_with_one_idempotency_key_redeem_once(organization):
    account, _ = make_account(organization)
    reward = make_reward(account, amount_minor=10_000)
    _, raw = api_key_create(organization=organization, name="Race", actor=None)

    statuses = race(raw, f"/rewards/{reward.pk}/redeem", 8, {"Idempotency-Key": "same"})

    assert set(statuses) <= {200, 409} and 200 in statuses  # the first, its replays, and 409s while in flight
    assert Redemption.objects.count() == 1
    assert available(account) == 9_000


def test_rewards_list_filters_by_status_account_program_and_date(api, organization, account, advocates):
    program = programs.program_create(organization=organization, name="Referral", currency="USD", amount_minor=2_500)
    other_account, _ = make_account(organization)
    given = services.reward_create(account=account, amount=None, program=program, source_event="Ref", event_at=timezone.now(), actor=SYSTEM)
    old = make_reward(account, days_ago=400)
    elsewhere = make_reward(other_account)
    services.reward_cancel(reward=elsewhere, actor=SYSTEM)

    def ids(**params):
        response = api.get("/rewards", **params)
        assert response.status_code == 200
        return [item["id"] for item in response.json()["items"]]

    assert ids() == [given.pk, elsewhere.pk, old.pk]
    assert ids(status="cancelled") == [elsewhere.pk]
    assert ids(account_id=account.pk) == [given.pk, old.pk]
    assert ids(program_id=program.pk) == [given.pk]
    assert ids(event_to=(timezone.now() - datetime.timedelta(days=300)).date().isoformat()) == [old.pk]
    assert ids(event_from=timezone.now().date().isoformat()) == [given.pk]


def test_one_reward_is_read_with_its_program(api, organization, account):
    program = programs.program_create(organization=organization, name="Referral", currency="USD", amount_minor=2_500, pending_days=14)
    reward = services.reward_create(account=account, amount=None, program=program, source_event="Ref", event_at=timezone.now(), actor=SYSTEM)
    body = api.get(f"/rewards/{reward.pk}").json()
    assert (body["program_id"], body["amount_minor"], body["status"], body["pending_reason"]) == (program.pk, 2_500, "pending", "scheduled")


def test_another_organizations_reward_is_not_found_in_the_listing_or_alone(outsider_api, account):
    reward = make_reward(account)
    assert outsider_api.get(f"/rewards/{reward.pk}").status_code == 404
    assert outsider_api.get("/rewards").json() == {"count": 0, "items": []}


def test_a_released_rewards_available_at_is_its_release_time(api, account):
    reward = make_reward(account, available_at=timezone.now() + datetime.timedelta(days=30))
    before = timezone.now()
    body = api.post(f"/rewards/{reward.pk}/release").json()
    released_at = datetime.datetime.fromisoformat(body["available_at"])
    assert body["status"] == "available" and before <= released_at <= timezone.now()


@pytest.mark.parametrize("amount", ["1000", 1000.0, True])
def test_an_amount_that_is_not_an_integer_is_refused(api, account, amount):
    reward = make_reward(account)
    response = api.post(f"/rewards/{reward.pk}/redeem", {"amount_minor": amount})
    assert response.status_code == 422
    assert response.json()["code"] == "invalid"
    assert not Redemption.objects.exists()


def test_a_too_long_idempotency_key_is_refused_in_characters(api, account):
    reward = make_reward(account)
    response = api.post(f"/rewards/{reward.pk}/redeem", {"amount_minor": 100}, {"Idempotency-Key": "k" * 201})
    assert response.status_code == 422
    assert "at most 200 characters" in response.json()["message"]


def test_a_program_is_created_and_gives_its_rewards_through_the_api(api, account, advocates):
    response = api.post("/programs", {"name": "Referral", "currency": "USD", "amount_minor": 2_500, "pending_days": 14})
    assert response.status_code == 201, response.json()
    program = response.json()
    assert api.get("/programs").json()["items"] == [program]
    response = api.post(f"/accounts/{account.pk}/rewards", {"program_id": program["id"], "advocate_id": advocates[0].pk, "event_at": timezone.now().isoformat()})
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["amount_minor"], body["currency"], body["program_id"], body["status"]) == (2_500, "USD", program["id"], "pending")
    assert api.post("/programs", {"name": "Referral", "currency": "USD"}).json()["code"] == "duplicate_name"


def test_a_program_with_a_fixed_amount_refuses_another_amount(api, organization, account):
    program = programs.program_create(organization=organization, name="Referral", currency="USD", amount_minor=2_500)
    response = api.post(f"/accounts/{account.pk}/rewards", {"program_id": program.pk, "amount_minor": 9_999, "event_at": timezone.now().isoformat()})
    assert (response.status_code, response.json()["message"]) == (422, "The program Referral gives $25.00 rewards; this one is $99.99.")


def test_another_organizations_program_is_not_found(outsider_api, organization, other_organization):
    program = programs.program_create(organization=organization, name="Referral", currency="USD", amount_minor=2_500)
    account, _ = make_account(other_organization)
    response = outsider_api.post(f"/accounts/{account.pk}/rewards", {"program_id": program.pk, "event_at": timezone.now().isoformat()})
    assert response.status_code == 404


def test_the_w9_mark_is_undone_through_the_api(api, account, advocates):
    reward = make_reward(account, advocate=advocates[0], w9_required=True)
    api.post(f"/advocates/{advocates[0].pk}/w9")
    response = api.client.delete(f"/api/v1/advocates/{advocates[0].pk}/w9", headers=api.headers)
    assert response.status_code == 200
    assert [item["id"] for item in response.json()["held"]] == [reward.pk]
    assert response.json()["advocate"]["w9_submitted_at"] is None


def test_every_endpoint_of_the_schema_has_examples(api):
    schema = api.client.get("/api/v1/openapi.json").json()
    components = schema["components"]["schemas"]

    def has_example(node):
        if isinstance(node, dict):
            if "$ref" in node:
                return has_example(components[node["$ref"].rsplit("/", 1)[-1]])
            return "examples" in node or "example" in node or any(has_example(value) for value in node.values())
        return isinstance(node, list) and any(has_example(value) for value in node)

    missing = [
        f"{method.upper()} {path}"
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
        if not has_example(operation.get("responses", {}).get("200") or operation.get("responses", {}).get("201"))
    ]
    assert missing == []


def test_an_organization_that_switched_rewards_off_finds_none_of_the_rewards_routes(api, organization):
    account, _ = make_account(organization)
    organization.rewards_enabled = False
    organization.save()
    paths = ["/accounts", f"/accounts/{account.pk}", "/programs", "/rewards"]
    assert [api.get(path).status_code for path in paths] == [404] * len(paths)
    assert api.post(f"/accounts/{account.pk}/rewards", {"amount_minor": 100}).json()["code"] == "not_found"
    assert api.get("/incentives").status_code == 200  # the research incentives stay
