"""Schemathesis draws requests from the OpenAPI schema and sends them to the app in-process
(WSGI); whatever it sends, the API answers with a 4xx or a 2xx, never a 500."""

import itertools

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode

from django.core.signals import request_finished, request_started
from django.db import close_old_connections

from approvals.withdrawals import budget_withdrawal
from config.wsgi import application
from core.money import Money
from tenancy.services import api_key_create

from rewards.services import programs

from ..approvals.conftest import set_thresholds
from ..rewards.helpers import make_reward

EXAMPLES_PER_OPERATION = 20  # per mode (valid and invalid requests): about 30 s in all


@pytest.fixture
def schema(db):
    # As Django's test client does: keep the test's connection (and its transaction) open
    # across the requests instead of closing it at the start and end of each one.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.mark.django_db
def test_no_request_drawn_from_the_schema_gets_a_500(schema, organization, account, advocates, owner, admin_user, budget):
    _, raw = api_key_create(organization=organization, name="Fuzz", actor=owner)  # the owner's key decides approvals
    rewards = [make_reward(account, advocate=advocates[0]), make_reward(account, advocate=advocates[1], w9_required=True)]
    programs.program_create(organization=organization, name="Referral", currency="USD", amount_minor=2_500, pending_days=14)
    set_thresholds(organization, total_minor=1)
    approvals = [budget_withdrawal(budget=budget, amount=Money(100, "USD"), actor=admin_user) for _ in range(3)]
    real_ids = {
        "account_id": [account.pk], "advocate_id": [a.pk for a in advocates], "reward_id": [r.pk for r in rewards],
        "approval_id": [approval.pk for approval in approvals],
    }
    failures = []
    operations = [result.ok() for result in schema.get_all_operations()]
    # Every operation of the schema, the listings and programs included.
    assert {(op.method.upper(), op.path.removeprefix("/api/v1")) for op in operations} >= {
        ("GET", "/rewards"), ("GET", "/rewards/{reward_id}"), ("GET", "/programs"), ("POST", "/programs"),
        ("DELETE", "/advocates/{advocate_id}/w9"), ("POST", "/accounts/{account_id}/rewards"),
    }

    for operation, mode in itertools.product(operations, [GenerationMode.POSITIVE, GenerationMode.NEGATIVE]):

        @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None, suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy(mode), use_real_ids=st.booleans(), data=st.data())
        def check(case, use_real_ids, data):
            # Half the requests name objects that exist, so they reach the services, not only the 404.
            if use_real_ids and case.path_parameters:
                for name in case.path_parameters:
                    case.path_parameters[name] = data.draw(st.sampled_from(real_ids[name]))
            response = case.call(headers={"Authorization": f"Bearer {raw}"})
            if response.status_code >= 500:
                failures.append(f"{case.method} {case.formatted_path}: {response.status_code} {response.text[:300]}")

        check()

    assert failures == []
