import pytest
from django.urls import reverse

from incentives.models import Incentive

from .helpers import send_to
from .test_send import budget_figures

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_owner(owner):
    owner.is_staff = owner.is_superuser = True
    owner.save()
    return owner


def test_the_admin_lists_and_shows_studies_participants_and_incentives(client_for, staff_owner, study):
    incentive = send_to(study, 1, actor=staff_owner)[0]
    client = client_for(staff_owner)
    for name in ("studies_study", "studies_participant"):
        assert client.get(reverse(f"admin:{name}_changelist")).status_code == 200
    assert "$25.00" in client.get(reverse("admin:incentives_incentive_changelist")).content.decode()
    page = client.get(reverse("admin:incentives_incentive_change", args=[incentive.pk])).content.decode()
    assert incentive.token_hash not in page and incentive.token_nonce not in page


def test_the_admin_cancel_action_calls_the_service(client_for, staff_owner, study, budget):
    incentive = send_to(study, 1, actor=staff_owner)[0]
    client_for(staff_owner).post(reverse("admin:incentives_incentive_changelist"), {"action": "cancel", "_selected_action": [incentive.pk]})
    assert Incentive.objects.get(pk=incentive.pk).status == "cancelled"
    assert budget_figures(budget) == (100_000, 0, 0)
