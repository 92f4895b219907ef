"""Issue 14 item 13: Offers and Rewards are modules each organization's owners switch in Settings;
switched off, the menu item is gone and the pages are not found."""

import pytest
from django.urls import reverse

from audit.models import AuditEvent

from .test_settings import POLICIES, SETTINGS

pytestmark = pytest.mark.django_db
PAGES = {"offers": ["/provider/incentive-offers/", "/provider/profile/", "/provider/incentive-offers/link-templates/"], "rewards": ["/rewards/"]}


def switch(organization, **values):
    for name, value in values.items():
        setattr(organization, f"{name}_enabled", value)
    organization.save()


def test_both_modules_are_on_for_a_new_organization(client_for, researcher):
    page = client_for(researcher).get(reverse("studies:list")).content.decode()
    assert ">Offers</a>" in page and ">Rewards</a>" in page


@pytest.mark.parametrize("module", PAGES)
def test_a_module_switched_off_leaves_the_menu_and_its_pages_are_not_found(client_for, owner, organization, module):
    switch(organization, **{module: False})
    client = client_for(owner)
    page = client.get(reverse("studies:list")).content.decode()
    assert f">{module.title()}</a>" not in page
    assert [client.get(path).status_code for path in PAGES[module]] == [404] * len(PAGES[module])
    other = next(m for m in PAGES if m != module)
    assert client.get(PAGES[other][0]).status_code != 404  # (My Offers sends a new provider to its profile)


def test_an_owner_switches_a_module_off_in_settings_and_it_is_audited(client_for, owner, organization):
    response = client_for(owner).post(SETTINGS, {**POLICIES, "rewards_enabled": "on"})
    assert response.status_code == 302
    organization.refresh_from_db()
    assert (organization.offers_enabled, organization.rewards_enabled) == (False, True)
    event = AuditEvent.objects.filter(object_type="tenancy.organization", object_id=organization.pk).latest("pk")
    assert event.after["offers_enabled"] is False and "rewards_enabled" not in event.after


def test_an_admin_cannot_switch_modules(client_for, admin_user, organization):
    client = client_for(admin_user)
    assert 'name="offers_enabled"' in client.get(SETTINGS).content.decode()
    client.post(SETTINGS, POLICIES)  # no module boxes ticked: an owner's post would switch both off
    organization.refresh_from_db()
    assert (organization.offers_enabled, organization.rewards_enabled) == (True, True)


def test_another_organization_keeps_its_modules(client_for, owner, organization, outsider, other_organization):
    switch(organization, offers=False)
    assert client_for(outsider).get(PAGES["offers"][0]).status_code != 404
