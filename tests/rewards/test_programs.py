"""Reward programs: configured by owners and admins, given from an account's profile, in bulk and by the API."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from budgets.selectors import ledger_problems
from rewards import services
from rewards.models import Reward, RewardProgram
from rewards.services import programs

from .helpers import SYSTEM, available, make_account

pytestmark = pytest.mark.django_db
PROGRAMS = reverse("rewards:program_list")
FORM = {"name": "Referral", "currency": "USD", "amount": "25.00", "pending_days": "14", "w9_above_threshold": "on", "expires_after_days": "", "cancellation_allowed": "on"}


def make_program(organization, **values):
    return programs.program_create(organization=organization, **{"name": "Referral", "currency": "USD", "amount_minor": 2_500, **values})


def test_an_admin_creates_a_program_and_it_is_listed(client_for, admin_user, organization):
    response = client_for(admin_user).post(PROGRAMS, FORM, follow=True)
    page = response.content.decode()
    assert "Program “Referral” created." in page
    program = RewardProgram.objects.for_org(organization).get()
    assert (program.amount_minor, program.pending_days, program.w9_above_threshold, program.cancellation_allowed) == (2_500, 14, True, True)
    assert "14 days" in page and "$25.00" in page


def test_a_bad_program_amount_is_refused_with_a_message(client_for, admin_user, organization):
    page = client_for(admin_user).post(PROGRAMS, {**FORM, "amount": "12,50"}).content.decode()
    assert "write decimals with a point" in page
    assert not RewardProgram.objects.exists()


def test_researchers_read_programs_but_cannot_create_or_edit_them(client_for, researcher, organization):
    program = make_program(organization)
    client = client_for(researcher)
    assert "Referral" in client.get(PROGRAMS).content.decode()
    assert client.post(PROGRAMS, FORM).status_code == 403
    assert client.get(reverse("rewards:program_edit", args=[program.pk])).status_code == 403


def test_another_organizations_program_is_a_404(client_for, owner, other_organization):
    program = make_program(other_organization)
    assert client_for(owner).get(reverse("rewards:program_edit", args=[program.pk])).status_code == 404
    assert "Referral" not in client_for(owner).get(PROGRAMS).content.decode()


def test_an_edit_keeps_the_terms_of_rewards_given_before(client_for, owner, organization, account, advocates):
    program = make_program(organization, pending_days=14)
    before = services.reward_create(account=account, amount=None, program=program, source_event="Ref", event_at=timezone.now(), actor=SYSTEM)
    client_for(owner).post(reverse("rewards:program_edit", args=[program.pk]), {**FORM, "pending_days": "0", "amount": "30.00"})
    program.refresh_from_db()
    before.refresh_from_db()
    assert (program.amount_minor, program.pending_days) == (3_000, 0)
    assert (before.amount_minor, before.status) == (2_500, "pending")


def test_an_archived_program_gives_no_new_rewards(organization, account):
    program = programs.program_archive(program=make_program(organization))
    with pytest.raises(services.RewardInvalid, match="is archived"):
        services.reward_create(account=account, amount=None, program=program, source_event="Ref", event_at=timezone.now(), actor=SYSTEM)


def test_a_program_without_cancellation_refuses_it(organization, account):
    program = make_program(organization, cancellation_allowed=False)
    reward = services.reward_create(account=account, amount=None, program=program, source_event="Ref", event_at=timezone.now(), actor=SYSTEM)
    with pytest.raises(services.RewardConflict, match="Rewards of the program Referral can't be cancelled."):
        services.reward_cancel(reward=reward, actor=SYSTEM)


def test_a_program_gives_its_pending_period_and_expiry(organization, account):
    now = timezone.now()
    program = make_program(organization, pending_days=14, expires_after_days=365)
    reward = services.reward_create(account=account, amount=None, program=program, source_event="Ref", event_at=now, actor=SYSTEM, now=now)
    assert (reward.status, reward.pending_reason) == ("pending", "scheduled")
    assert reward.available_at == now + datetime.timedelta(days=14)
    assert reward.expires_at == now + datetime.timedelta(days=365)


def test_give_reward_on_a_profile_gives_it_once_and_shows_its_program(client_for, researcher, organization, account, advocates):
    program = make_program(organization)
    client = client_for(researcher)
    profile = reverse("rewards:advocate_detail", args=[advocates[0].pk])
    page = client.get(profile).content.decode()
    assert "Give reward" in page
    form = {"program": program.pk, "advocate": advocates[1].pk, "source_event": "Referral: Jo", "event_at": "2026-11-02T10:00", "once": "a" * 32}
    url = reverse("rewards:reward_give", args=[advocates[0].pk])
    page = client.post(url, form, follow=True).content.decode()
    assert "Gave $25.00 to Ben (Referral); it is available." in page
    assert "program Referral" in page
    client.post(url, form)  # a double click
    assert Reward.objects.for_org(organization).count() == 1
    assert available(account) == 2_500


def test_give_reward_refuses_another_accounts_participant(client_for, researcher, organization, account, advocates):
    program = make_program(organization)
    _, strangers = make_account(organization)
    form = {"program": program.pk, "advocate": strangers[0].pk, "source_event": "Ref", "event_at": "2026-11-02T10:00"}
    page = client_for(researcher).post(reverse("rewards:reward_give", args=[advocates[0].pk]), form, follow=True).content.decode()
    assert "Select a valid choice" in page
    assert not Reward.objects.exists()


def test_viewers_cannot_give_rewards(client_for, viewer, organization, advocates):
    program = make_program(organization)
    form = {"program": program.pk, "advocate": advocates[0].pk, "source_event": "Ref", "event_at": "2026-11-02T10:00"}
    assert client_for(viewer).post(reverse("rewards:reward_give", args=[advocates[0].pk]), form).status_code == 403


BULK = reverse("rewards:bulk_rewards")


def upload(client, text):
    return client.post(BULK, {"file": SimpleUploadedFile("rewards.csv", text.encode(), content_type="text/csv")})


def test_the_preview_refuses_a_row_that_applying_would_refuse(client_for, researcher, organization, account):
    make_program(organization)
    text = (
        "account_external_id,program,amount,advocate_email,source_event,event_at,external_id\n"
        f"{account.external_id},Referral,,,Referral: Jo,2031-01-01,RW-2001\n"
        f"{account.external_id},Referral,,,Referral: Jo,1800-01-01,RW-2002\n"
    )
    preview = upload(client_for(researcher), text)
    page = preview.content.decode()
    assert "The event date can&#x27;t be in the future." in page and "The event date must be after" in page
    assert preview.context["good"] == 0 and not Reward.objects.exists()


def test_a_bulk_reward_file_is_previewed_then_applied_once(client_for, researcher, organization, account, advocates):
    make_program(organization)
    make_program(organization, name="Bonus", amount_minor=None)
    client = client_for(researcher)
    text = (
        "account_external_id,program,amount,advocate_email,source_event,event_at,external_id\n"
        f"{account.external_id},Referral,,{advocates[0].email},Referral: Jo,2026-11-02,RW-2001\n"
        f"{account.external_id},Bonus,7.50,,Launch week,,\n"
        f"{account.external_id},Nope,1.00,,x,,\n"
        f"{account.external_id},Bonus,,,x,,\n"
    )
    preview = upload(client, text)
    page = preview.content.decode()
    assert "No active program is named “Nope”." in page
    assert "The program Bonus has no fixed amount; give the reward&#x27;s amount." in page
    assert preview.context["good"] == 2 and not Reward.objects.exists()
    csv_text = preview.context["apply_form"].initial["csv_text"]
    page = client.post(BULK, {"csv_text": csv_text}).content.decode()
    assert "Applied 2 of 4 rows." in page
    client.post(BULK, {"csv_text": csv_text})  # a double submit
    assert sorted(Reward.objects.values_list("amount_minor", flat=True)) == [750, 2_500]
    assert Reward.objects.get(external_id="RW-2001").advocate == advocates[0]
    assert not ledger_problems()


def test_another_organizations_accounts_are_unknown_in_a_bulk_reward_file(client_for, outsider, organization, account):
    make_program(organization)
    page = upload(client_for(outsider), f"account_external_id,program\n{account.external_id},Referral\n").content.decode()
    assert f"No account has the external id “{account.external_id}”." in page


def test_the_programs_page_makes_the_same_number_of_queries_for_few_and_many(client_for, owner, organization, django_assert_max_num_queries):
    for number in range(6):
        make_program(organization, name=f"Program {number}")
    client = client_for(owner)
    with django_assert_max_num_queries(7):  # session, user, memberships, programs, archived, beat's last tick
        page = client.get(PROGRAMS).content.decode()
    assert "Program 5" in page
