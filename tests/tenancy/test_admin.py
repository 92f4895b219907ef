"""Django admin: every registered model's pages open for a superuser; tenancy is managed there."""

import pytest
from django.contrib import admin
from django.urls import reverse

from tenancy.models import Membership
from tenancy.services import api_key_create

pytestmark = pytest.mark.django_db
REGISTERED = sorted(f"{model._meta.app_label}_{model._meta.model_name}" for model in admin.site._registry)


@pytest.fixture
def superuser(owner, client_for):
    owner.is_staff = owner.is_superuser = True
    owner.save()
    return client_for(owner)


@pytest.mark.parametrize("name", REGISTERED)
def test_every_admin_list_opens(superuser, budget, name):
    assert superuser.get(reverse(f"admin:{name}_changelist")).status_code == 200


def test_an_organizations_page_lists_its_members(superuser, organization, researcher):
    page = superuser.get(reverse("admin:tenancy_organization_change", args=[organization.pk])).content.decode()
    assert str(researcher) in page and '<option value="researcher" selected>' in page


def test_a_membership_role_is_changed_in_the_admin(superuser, organization, researcher):
    membership = Membership.objects.get(user=researcher, organization=organization)
    superuser.post(
        reverse("admin:tenancy_membership_change", args=[membership.pk]),
        {"user": researcher.pk, "organization": organization.pk, "role": "viewer"},
    )
    membership.refresh_from_db()
    assert membership.role == "viewer"


def test_api_keys_are_made_in_settings_and_only_revoked_in_the_admin(superuser, organization):
    assert superuser.get(reverse("admin:tenancy_apikey_add")).status_code == 403
    key, _ = api_key_create(organization=organization, name="CRM sync", actor=None)
    superuser.post(reverse("admin:tenancy_apikey_changelist"), {"action": "revoke", "_selected_action": [key.pk]})
    key.refresh_from_db()
    assert key.revoked_at is not None
