import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from budgets.selectors import ledger_problems
from rewards import services
from rewards.models import Reward, RewardEvent
from rewards.services import Actor, advocate_mark_w9

from .helpers import SYSTEM, available, make_account, make_reward

pytestmark = pytest.mark.django_db

ACTIONS = ["rewards:reward_redeem", "rewards:reward_cancel", "rewards:reward_uncancel", "rewards:reward_release"]


def profile(advocate):
    return reverse("rewards:advocate_detail", args=[advocate.pk])


def action(name, advocate, reward):
    return reverse(name, args=[advocate.pk, reward.pk])


@pytest.mark.smoke
def test_participants_list_shows_only_the_current_organizations_advocates(client_for, owner, advocates, other_organization):
    make_account(other_organization, advocates=["Secret Globex person"])
    page = client_for(owner).get(reverse("rewards:advocate_list")).content.decode()
    assert "Ana" in page and "Ben" in page
    assert "Secret Globex person" not in page


def test_participants_search_and_w9_filter(client_for, owner, organization, account, advocates):
    make_account(organization, name="Contoso", advocates=["Zed"])
    client = client_for(owner)
    page = client.get(reverse("rewards:advocate_list"), {"q": "contoso"}).content.decode()
    assert "Zed" in page and "Ana" not in page
    page = client.get(reverse("rewards:advocate_list"), {"account": account.pk}).content.decode()
    assert "Ana" in page and "Zed" not in page
    advocate_mark_w9(advocate=advocates[0], actor=Actor.system())
    page = client.get(reverse("rewards:advocate_list"), {"w9": "missing"}).content.decode()
    assert "Ben" in page and "Ana" not in page


def test_participants_list_answers_htmx_with_the_table_fragment(client_for, owner, advocates):
    response = client_for(owner).get(reverse("rewards:advocate_list"), {"q": "Ana"}, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert 'id="results"' in html and "<html" not in html
    assert "Ana" in html


@pytest.mark.parametrize("accounts", [1, 8])
def test_participants_list_makes_the_same_number_of_queries_for_few_and_many_rows(client_for, owner, organization, accounts, django_assert_max_num_queries):
    for _ in range(accounts):
        account, people = make_account(organization)
        make_reward(account, advocate=people[0])
    client = client_for(owner)
    with django_assert_max_num_queries(8):  # 7, and beat's last tick for the owners' banner
        page = client.get(reverse("rewards:advocate_list")).content.decode()
    body = page.split("<tbody", 1)[1].split("</tbody>", 1)[0]
    assert body.count("<tr") == accounts * 2  # every advocate of every account (make_account gives two)


@pytest.mark.parametrize("rewards", [1, 8])
def test_participant_profile_makes_the_same_number_of_queries_for_few_and_many_rewards(client_for, owner, account, advocates, rewards, django_assert_max_num_queries):
    for _ in range(rewards):
        make_reward(account, advocate=advocates[0])
    client = client_for(owner)
    # 14 (with the year's total, its threshold, the W-9 history and the Give reward form's programs and
    # participants), beat's last tick for the owners' banner, the approvals badge
    with django_assert_max_num_queries(16):
        assert client.get(profile(advocates[0])).status_code == 200


@pytest.mark.smoke
def test_both_participants_profiles_show_the_shared_balance_after_a_redemption(client_for, researcher, account, advocates):
    ana, ben = advocates
    reward = make_reward(account, advocate=ana, amount_minor=10_000)
    client = client_for(researcher)
    response = client.post(action("rewards:reward_redeem", ben, reward), {"amount": "25.00"}, follow=True)
    assert "Redeemed $25.00; $75.00 of this reward is left." in response.content.decode()
    for advocate in (ana, ben):
        assert '<span class="value" data-balance="available-USD">$75.00</span>' in client.get(profile(advocate)).content.decode()


def test_redeeming_more_than_available_in_the_page_shows_why_and_changes_nothing(client_for, researcher, account, advocates):
    reward = make_reward(account, amount_minor=1_000)
    response = client_for(researcher).post(action("rewards:reward_redeem", advocates[0], reward), {"amount": "10.50"}, follow=True)
    assert "This reward has $10.00 available; you asked to redeem $10.50." in response.content.decode()
    assert available(account) == 1_000


@pytest.mark.parametrize("typed, shown", [
    ("abc", "is not an amount"), ("0", "greater than zero"), ("1.001", "at most 2 decimals"),
    ("5e0", "“5e0” is not an amount"), ("1_0", "“1_0” is not an amount"), ("١", "“١” is not an amount"),
])
def test_a_malformed_amount_gets_a_message_and_changes_nothing(client_for, researcher, account, advocates, typed, shown):
    reward = make_reward(account, amount_minor=1_000)
    response = client_for(researcher).post(action("rewards:reward_redeem", advocates[0], reward), {"amount": typed}, follow=True)
    assert shown in response.content.decode()
    assert available(account) == 1_000


def test_cancel_uncancel_and_release_from_the_profile(client_for, researcher, account, advocates):
    ana = advocates[0]
    reward = make_reward(account, available_at=timezone.now() + datetime.timedelta(days=9))
    client = client_for(researcher)
    client.post(action("rewards:reward_cancel", ana, reward))
    reward.refresh_from_db()
    assert reward.status == Reward.Status.CANCELLED
    client.post(action("rewards:reward_uncancel", ana, reward))
    reward.refresh_from_db()
    assert reward.status == Reward.Status.AVAILABLE
    pending = make_reward(account, available_at=timezone.now() + datetime.timedelta(days=9))
    response = client.post(action("rewards:reward_release", ana, pending), follow=True)
    assert "is available now" in response.content.decode()
    channels = set(RewardEvent.objects.exclude(action="created").values_list("channel", flat=True))
    assert channels == {"ui"}


def test_the_profile_shows_each_rewards_history_and_why_an_old_one_cant_be_cancelled(client_for, owner, account, advocates):
    reward = make_reward(account, days_ago=800)
    page = client_for(owner).get(profile(advocates[0])).content.decode()
    assert "a reward can be cancelled only within two years of its event" in page
    assert action("rewards:reward_cancel", advocates[0], reward) not in page
    assert "Created" in page and "system" in page


def test_cancel_of_a_two_year_old_reward_is_refused_with_the_reason(client_for, researcher, account, advocates):
    reward = make_reward(account, days_ago=800)
    response = client_for(researcher).post(action("rewards:reward_cancel", advocates[0], reward), follow=True)
    assert "within two years of its event" in response.content.decode()


def test_mark_w9_releases_held_rewards(client_for, researcher, account, advocates):
    ben = advocates[1]
    reward = make_reward(account, advocate=ben, w9_required=True)
    response = client_for(researcher).post(reverse("rewards:advocate_w9", args=[ben.pk]), follow=True)
    assert "W-9 marked as submitted for Ben; 1 held reward released." in response.content.decode()
    reward.refresh_from_db()
    assert reward.status == Reward.Status.AVAILABLE


def test_viewers_read_but_cannot_act(client_for, viewer, account, advocates):
    reward = make_reward(account)
    client = client_for(viewer)
    page = client.get(profile(advocates[0])).content.decode()
    assert "Redeem</button>" not in page
    for name in ACTIONS:
        assert client.post(action(name, advocates[0], reward), {"amount": "1"}).status_code == 403
    assert client.post(reverse("rewards:advocate_w9", args=[advocates[0].pk])).status_code == 403
    assert available(account) == 10_000


@pytest.mark.parametrize("name", ACTIONS)
def test_another_organizations_rewards_are_not_found(client_for, outsider, account, advocates, name):
    reward = make_reward(account)
    assert client_for(outsider).post(action(name, advocates[0], reward), {"amount": "1"}).status_code == 404
    assert available(account) == 10_000


def test_another_organizations_participant_and_w9_are_not_found(client_for, outsider, advocates):
    client = client_for(outsider)
    assert client.get(profile(advocates[0])).status_code == 404
    assert client.post(reverse("rewards:advocate_w9", args=[advocates[0].pk])).status_code == 404


def test_a_reward_of_another_account_cannot_be_reached_through_this_participant(client_for, owner, organization, advocates):
    other_account, _ = make_account(organization)
    reward = make_reward(other_account)
    assert client_for(owner).post(action("rewards:reward_cancel", advocates[0], reward)).status_code == 404


def test_a_partial_redemption_posted_twice_is_made_once(client_for, owner, account, advocates):
    import re

    reward = make_reward(account)
    client = client_for(owner)
    page = client.get(profile(advocates[0])).content.decode()
    key = re.search(r'action="' + re.escape(action("rewards:reward_redeem", advocates[0], reward)) + r'".*?name="once" value="([0-9a-f]{32})"', page, re.S).group(1)
    form = {"amount": "5.00", "once": key}
    client.post(action("rewards:reward_redeem", advocates[0], reward), form)
    again = client.post(action("rewards:reward_redeem", advocates[0], reward), form, follow=True).content.decode()
    assert "was not made twice" in again
    reward.refresh_from_db()
    assert reward.redeemed_minor == 500 and reward.redemptions.count() == 1


def test_the_amount_box_starts_empty_and_redeem_all_names_the_amount(client_for, researcher, account, advocates):
    make_reward(account, amount_minor=3_000)
    page = client_for(researcher).get(profile(advocates[0])).content.decode()
    assert re.search(r'<input type="text" name="amount"(?![^>]*value=)[^>]*>', page)
    assert "Redeem all ($30.00)</button>" in page
    assert 'hx-confirm="Redeem {amount} of this reward? {left} will be left."' in page
    assert 'hx-confirm="Redeem all $30.00 of this reward? Nothing of it will be left."' in page


def test_redeem_with_an_empty_box_is_refused_and_redeems_nothing(client_for, researcher, account, advocates):
    reward = make_reward(account, amount_minor=3_000)
    response = client_for(researcher).post(action("rewards:reward_redeem", advocates[0], reward), {"amount": ""}, follow=True)
    assert "Enter the amount to redeem, or use “Redeem all”." in response.content.decode()
    reward.refresh_from_db()
    assert reward.redeemed_minor == 0


def test_redeem_all_redeems_what_is_left_with_the_note(client_for, researcher, account, advocates):
    reward = make_reward(account, amount_minor=3_000)
    url = action("rewards:reward_redeem", advocates[0], reward)
    response = client_for(researcher).post(url, {"amount": "1.00", "redeem_all": "1", "note": "Gift card #88"}, follow=True)
    assert "Redeemed $30.00; $0.00 of this reward is left." in response.content.decode()
    assert reward.redemptions.get().note == "Gift card #88"


def test_uncancel_asks_for_confirmation(client_for, researcher, account, advocates):
    reward = make_reward(account, amount_minor=3_000)
    services.reward_cancel(reward=reward, actor=SYSTEM)
    page = client_for(researcher).get(profile(advocates[0])).content.decode()
    assert 'hx-confirm="Un-cancel this $30.00 reward?' in page


def test_the_profile_shows_all_five_figures(client_for, researcher, account, advocates):
    make_reward(account, amount_minor=1_000)
    services.reward_cancel(reward=make_reward(account, amount_minor=200), actor=SYSTEM)
    services.reward_expire(reward=make_reward(account, amount_minor=300), actor=SYSTEM)
    make_reward(account, amount_minor=400, available_at=timezone.now() + datetime.timedelta(days=3))
    page = client_for(researcher).get(profile(advocates[0])).content.decode()
    for figure, amount in [("available", "$10.00"), ("pending", "$4.00"), ("redeemed", "$0.00"), ("cancelled", "$2.00"), ("expired", "$3.00")]:
        assert f'data-balance="{figure}-USD">{amount}</span>' in page


def test_a_w9_hold_with_a_pending_period_shows_both_with_dates_in_the_organizations_time_zone(client_for, researcher, organization, account, advocates):
    organization.time_zone = "Europe/Paris"
    organization.save()
    until = datetime.datetime(2030, 1, 15, 9, 30, tzinfo=datetime.UTC)
    make_reward(account, advocate=advocates[0], w9_required=True, available_at=until)
    page = client_for(researcher).get(profile(advocates[0])).content.decode()
    assert "Waiting for W-9 since" in page
    assert "Pending period until 2030-01-15 10:30 CET" in page
    assert "Times are in Europe/Paris." in page


def test_a_cancellable_reward_says_until_when(client_for, researcher, account, advocates):
    event_at = datetime.datetime(2025, 3, 2, 12, 0, tzinfo=datetime.UTC)
    make_reward(account, event_at=event_at)
    page = client_for(researcher).get(profile(advocates[0])).content.decode()
    assert "cancellable until 2027-03-02" in page


def test_marking_the_w9_says_which_rewards_stay_in_their_period(client_for, researcher, account, advocates):
    ana = advocates[0]
    make_reward(account, advocate=ana, w9_required=True)
    make_reward(account, advocate=ana, w9_required=True, available_at=datetime.datetime(2030, 1, 15, 9, 30, tzinfo=datetime.UTC))
    page = client_for(researcher).post(reverse("rewards:advocate_w9", args=[ana.pk]), follow=True).content.decode()
    assert "1 held reward released. 1 more stays pending until its pending period ends (2030-01-15 09:30 UTC)." in page


def test_the_w9_mark_can_be_undone_and_the_undo_is_in_the_history(client_for, researcher, account, advocates):
    ana = advocates[0]
    reward = make_reward(account, advocate=ana, w9_required=True, amount_minor=2_500)
    client = client_for(researcher)
    client.post(reverse("rewards:advocate_w9", args=[ana.pk]))
    assert available(account) == 2_500
    page = client.post(reverse("rewards:advocate_w9_undo", args=[ana.pk]), follow=True).content.decode()
    assert "The W-9 mark of Ana is undone; 1 reward waits for the W-9 again." in page
    reward.refresh_from_db()
    ana.refresh_from_db()
    assert (reward.status, reward.pending_reason, ana.w9_submitted_at) == ("pending", "w9_required", None)
    assert available(account) == 0
    assert [event.action for event in ana.events.all()] == ["w9_marked", "w9_unmarked"]
    assert "W-9 mark undone · " + researcher.email in page
    assert not ledger_problems()


def test_viewers_cannot_undo_a_w9_mark(client_for, viewer, advocates):
    advocate_mark_w9(advocate=advocates[0], actor=Actor.system())
    assert client_for(viewer).post(reverse("rewards:advocate_w9_undo", args=[advocates[0].pk])).status_code == 403
    advocates[0].refresh_from_db()
    assert advocates[0].w9_submitted_at is not None


def test_another_organizations_advocate_w9_undo_is_a_404(client_for, outsider, advocates):
    assert client_for(outsider).post(reverse("rewards:advocate_w9_undo", args=[advocates[0].pk])).status_code == 404
