"""The W-9 hold of reward programs: over the advocate's calendar year, across all their rewards,
against the organization's threshold ($2,000.00 from 2026 by default), to the cent."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from core.money import Money
from core.tax import default_threshold_minor, tax_threshold, tax_threshold_set
from rewards import services
from rewards.services import programs

from .helpers import SYSTEM, make_reward

pytestmark = pytest.mark.django_db


@pytest.fixture
def program(organization):
    return programs.program_create(organization=organization, name="Referral", currency="USD")


def give(account, program, advocate, amount_minor):
    return services.reward_create(
        account=account, amount=Money(amount_minor, "USD"), program=program, advocate=advocate,
        source_event="Referral", event_at=timezone.now(), actor=SYSTEM,
    )


def test_the_default_threshold_is_2000_dollars_from_2026_and_600_before(organization):
    assert tax_threshold(organization=organization, year=2026) == Money(200_000, "USD")
    assert tax_threshold(organization=organization, year=2027) == Money(200_000, "USD")
    assert tax_threshold(organization=organization, year=2025) == Money(60_000, "USD")
    assert default_threshold_minor(2025) == 60_000


def test_an_organization_sets_its_own_threshold_for_a_year(organization, other_organization):
    tax_threshold_set(organization=organization, year=2027, amount=Money(210_000, "USD"))
    assert tax_threshold(organization=organization, year=2027) == Money(210_000, "USD")
    assert tax_threshold(organization=other_organization, year=2027) == Money(200_000, "USD")
    tax_threshold_set(organization=organization, year=2027, amount=None)
    assert tax_threshold(organization=organization, year=2027) == Money(200_000, "USD")


def test_a_reward_reaching_exactly_the_threshold_is_not_held(account, advocates, program):
    give(account, program, advocates[0], 150_000)
    reward = give(account, program, advocates[0], 50_000)  # $2,000.00 this year: not above
    assert reward.status == "available" and not reward.w9_required


def test_a_reward_one_cent_above_the_threshold_waits_for_the_w9(account, advocates, program):
    give(account, program, advocates[0], 150_000)
    reward = give(account, program, advocates[0], 50_001)  # $2,000.01
    assert (reward.status, reward.pending_reason, reward.w9_required) == ("pending", "w9_required", True)


def test_the_year_counts_all_the_advocates_rewards_but_not_other_advocates_or_cancelled_ones(account, advocates, program):
    ana, ben = advocates
    give(account, program, ben, 199_999)
    services.reward_cancel(reward=give(account, program, ana, 100_000), actor=SYSTEM)
    make_reward(account, advocate=ana, amount_minor=150_000)  # no program: counts, it was given to Ana
    assert give(account, program, ana, 50_000).status == "available"  # 150,000 + 50,000 = the threshold
    assert give(account, program, ana, 1).pending_reason == "w9_required"


def test_an_advocate_with_a_w9_on_file_is_not_held(account, advocates, program):
    services.advocate_mark_w9(advocate=advocates[0], actor=SYSTEM)
    assert give(account, program, advocates[0], 250_000).status == "available"


def test_a_program_without_the_w9_rule_never_holds(organization, account, advocates):
    free = programs.program_create(organization=organization, name="Points", currency="USD", w9_above_threshold=False)
    assert give(account, free, advocates[0], 250_000).status == "available"


def test_the_organizations_own_threshold_is_used(organization, account, advocates, program):
    year = timezone.localtime(timezone.now(), organization.zone).year
    tax_threshold_set(organization=organization, year=year, amount=Money(60_000, "USD"))
    assert give(account, program, advocates[0], 60_000).status == "available"
    assert give(account, program, advocates[0], 1).status == "pending"


def test_the_profile_says_how_much_is_left_before_a_w9_is_needed(client_for, researcher, account, advocates, program):
    give(account, program, advocates[0], 194_000)
    page = client_for(researcher).get(reverse("rewards:advocate_detail", args=[advocates[0].pk])).content.decode()
    assert "$1,940.00 of $2,000.00 this year before a W-9 is needed" in page


def test_the_profile_says_when_the_year_is_above_the_threshold(client_for, researcher, account, advocates, program):
    give(account, program, advocates[0], 200_001)
    page = client_for(researcher).get(reverse("rewards:advocate_detail", args=[advocates[0].pk])).content.decode()
    assert "$2,000.01 this year, above the $2,000.00 threshold: a W-9 is needed." in page


def test_last_years_rewards_do_not_count_this_year(organization, account, advocates, program):
    from rewards.models import Reward

    old = give(account, program, advocates[0], 199_000)
    Reward.objects.filter(pk=old.pk).update(created_at=timezone.now() - datetime.timedelta(days=400))
    assert give(account, program, advocates[0], 100_000).status == "available"


def test_the_yearly_csv_lists_each_advocates_rewards_given_for_1099_filing(client_for, owner, organization, account, advocates, program):
    import csv
    import io

    give(account, program, advocates[0], 150_000)
    give(account, program, advocates[0], 60_000)
    year = timezone.localtime(timezone.now(), organization.zone).year
    response = client_for(owner).get(reverse("rewards:advocate_tax_csv"), {"year": year})
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0] == ["name", "email", "account", "year", "rewards_given", "currency", "above_threshold", "w9_submitted"]
    assert rows[1] == ["Ana", advocates[0].email, account.name, str(year), "2100.00", "USD", "yes", ""]
    assert len(rows) == 2


def test_the_yearly_csv_is_for_owners_and_admins(client_for, researcher):
    assert client_for(researcher).get(reverse("rewards:advocate_tax_csv")).status_code == 403


def test_a_bad_reporting_currency_already_stored_breaks_no_tax_page(client_for, owner, organization, account, advocates, program):
    give(account, program, advocates[0], 10_000)
    type(organization).objects.filter(pk=organization.pk).update(reporting_currency="ZZZ")  # saved before the form refused it
    client = client_for(owner)
    assert client.get(reverse("budgets:tax")).status_code == 200
    assert client.get(reverse("rewards:advocate_detail", args=[advocates[0].pk])).status_code == 200
    csv = client.get(reverse("rewards:advocate_tax_csv"), {"year": timezone.now().year})
    assert csv.status_code == 200 and "100.00" in b"".join(csv.streaming_content).decode()
