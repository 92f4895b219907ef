"""Organization settings: the incentive policies beat applies, editable by owners and admins."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db
SETTINGS = reverse("tenancy:settings")
POLICIES = {
    "name": "Acme Research",
    "claims_allowed_after_study_closes": "on",
    "payout_methods": ["gift_card", "charity"],
    "reminder_days": "21, 7",
    "reminder_max": "1",
    "unclaimed_expire_after_days": "365",
    "time_zone": "UTC",
    "reporting_currency": "USD",
    "payout_arrival_days": "7",
    "payout_abandon_after_days": "90",
    "payout_details_erase_after_days": "30",
}


def test_the_settings_page_shows_the_policies(client_for, owner):
    content = client_for(owner).get(SETTINGS).content.decode()
    for label in ("Reminder days", "Most reminders per incentive", "Expire unclaimed incentives after (days)"):
        assert label in content


def test_a_manager_sets_reminders_their_cap_and_the_expiry_period(client_for, admin_user, organization):
    response = client_for(admin_user).post(SETTINGS, POLICIES)
    assert response.status_code == 302
    organization.refresh_from_db()
    assert organization.reminder_days == [7, 21]
    assert (organization.reminder_max, organization.unclaimed_expire_after_days) == (1, 365)
    assert organization.payout_methods == ["gift_card", "charity"]


def test_empty_policies_mean_no_reminders_no_cap_and_no_expiry(client_for, owner, organization):
    client_for(owner).post(SETTINGS, {**POLICIES, "reminder_days": "", "reminder_max": "", "unclaimed_expire_after_days": ""})
    organization.refresh_from_db()
    assert (organization.reminder_days, organization.reminder_max, organization.unclaimed_expire_after_days) == ([], None, None)


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("reminder_days", "7, soon", "Write whole numbers of days separated by commas"),
        ("reminder_days", "0", "Each reminder is at least 1 day after sending."),
        ("reminder_max", "0", "Give at least 1 reminder, or leave it empty"),
        ("unclaimed_expire_after_days", "0", "Give at least 1 day, or leave it empty for never."),
        ("unclaimed_expire_after_days", "-5", "greater than or equal to 0"),
    ],
)
def test_bad_policy_values_are_explained_and_change_nothing(client_for, owner, organization, field, value, message):
    response = client_for(owner).post(SETTINGS, {**POLICIES, field: value})
    assert response.status_code == 200 and message in response.content.decode()
    organization.refresh_from_db()
    assert (organization.reminder_days, organization.reminder_max, organization.unclaimed_expire_after_days) == ([], None, None)


def test_researchers_and_viewers_cant_change_the_policies(client_for, researcher, viewer, organization):
    for user in (researcher, viewer):
        assert client_for(user).post(SETTINGS, POLICIES).status_code == 403
    organization.refresh_from_db()
    assert organization.reminder_days == [] and organization.unclaimed_expire_after_days is None


def test_a_manager_sets_the_time_zone_and_pages_show_times_in_it(client_for, admin_user, organization):
    response = client_for(admin_user).post(SETTINGS, {**POLICIES, "time_zone": "Europe/Paris", "reporting_currency": "eur"})
    assert response.status_code == 302
    organization.refresh_from_db()
    assert (organization.time_zone, organization.reporting_currency) == ("Europe/Paris", "EUR")


def test_an_unknown_time_zone_is_refused_with_a_message(client_for, admin_user, organization):
    page = client_for(admin_user).post(SETTINGS, {**POLICIES, "time_zone": "Mars/Olympus"}).content.decode()
    assert "“Mars/Olympus” is not a time zone name" in page
    organization.refresh_from_db()
    assert organization.time_zone == "UTC"


@pytest.mark.parametrize("code", ["ZZZ", "XXX", "XTS"])
def test_a_reporting_currency_that_is_no_money_is_refused_with_a_message(client_for, owner, organization, code):
    response = client_for(owner).post(SETTINGS, {**POLICIES, "reporting_currency": code})
    assert response.status_code == 200 and "Settings saved" not in response.content.decode()
    assert f"“{code}” is not an ISO 4217 currency in use" in response.content.decode()
    organization.refresh_from_db()
    assert organization.reporting_currency == "USD"
