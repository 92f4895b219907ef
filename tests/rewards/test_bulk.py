import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from budgets.selectors import ledger_problems
from rewards import services
from rewards.models import Redemption, Reward

from .helpers import SYSTEM, available, make_account, make_reward

pytestmark = pytest.mark.django_db

URL = reverse("rewards:bulk_redeem")


@pytest.fixture
def rewards(account):
    good = make_reward(account, amount_minor=5_000, external_id="RW-1")
    cancelled = make_reward(account, amount_minor=5_000, external_id="RW-2")
    services.reward_cancel(reward=cancelled, actor=SYSTEM)
    return good, cancelled


def upload(client, text):
    return client.post(URL, {"file": SimpleUploadedFile("redeem.csv", text.encode(), content_type="text/csv")})


CSV = (
    "account_external_id,reward_external_id,amount,note\n"
    ",RW-1,10.00,first\n"  # line 2: good
    ",RW-404,1.00,\n"  # 3: unknown reward
    "{account},,999.00,\n"  # 4: over the account's balance
    ",RW-2,1.00,\n"  # 5: cancelled, not available
    ",RW-1,ten,\n"  # 6: malformed amount
    "{account},,5.00,=HYPERLINK(\"x\")\n"  # 7: good, by account
)


@pytest.mark.smoke
def test_the_preview_lists_each_bad_row_with_its_reason_and_changes_nothing(client_for, researcher, account, rewards):
    page = upload(client_for(researcher), CSV.format(account=account.external_id)).content.decode()
    assert "No reward has the external id “RW-404”." in page
    assert f"Over balance: {account.name} has $40.00 available." in page  # line 2 used $10.00
    assert "This reward is cancelled, not available." in page
    assert "Amount “ten”: “ten” is not an amount." in page
    assert "Apply 2 good rows" in page
    assert available(account) == 5_000
    assert not Redemption.objects.exists()


def test_applying_applies_only_the_good_rows_once_and_the_result_downloads(client_for, researcher, account, rewards):
    client = client_for(researcher)
    preview = upload(client, CSV.format(account=account.external_id))
    apply = {"csv_text": preview.context["apply_form"].initial["csv_text"], "batch": str(preview.context["apply_form"].initial["batch"])}
    page = client.post(URL, apply).content.decode()
    assert "Applied 2 of 6 rows." in page
    assert available(account) == 5_000 - 1_000 - 500
    assert set(Redemption.objects.values_list("channel", flat=True)) == {"bulk"}

    again = client.post(URL, apply).content.decode()  # a double submit
    assert "Already applied from this upload." in again
    assert available(account) == 3_500
    assert not ledger_problems()

    result = client.get(reverse("rewards:bulk_result_csv"))
    rows = list(csv.reader(io.StringIO(b"".join(result.streaming_content).decode())))
    assert rows[0] == ["line", "account_external_id", "reward_external_id", "amount", "currency", "result", "message"]
    assert rows[1][-2:] == ["error", "Already applied from this upload."]


def test_the_result_csv_neutralises_formula_cells(client_for, researcher, account, rewards):
    client = client_for(researcher)
    preview = upload(client, "reward_external_id,amount\n=cmd(),1.00\n")
    assert "No reward has the external id" in preview.content.decode()
    client.post(URL, {"csv_text": preview.context["apply_form"].initial["csv_text"], "batch": str(preview.context["apply_form"].initial["batch"])})
    text = b"".join(client.get(reverse("rewards:bulk_result_csv")).streaming_content).decode()
    assert "'=cmd()" in text


def test_a_file_without_the_columns_is_refused_with_a_message(client_for, researcher):
    page = upload(client_for(researcher), "name,value\nx,1\n").content.decode()
    assert "The first line must name the columns" in page


def test_an_account_with_several_currencies_needs_the_currency_column(client_for, researcher, account):
    make_reward(account, currency="EUR", amount_minor=1_000)
    make_reward(account, currency="USD", amount_minor=1_000)
    page = upload(client_for(researcher), f"account_external_id,amount\n{account.external_id},1.00\n").content.decode()
    assert "add a currency column" in page
    page = upload(client_for(researcher), f"account_external_id,amount,currency\n{account.external_id},1.00,EUR\n").content.decode()
    assert "Apply 1 good row" in page


def test_another_organizations_ids_are_unknown_in_a_bulk_upload(client_for, outsider, account, rewards):
    page = upload(client_for(outsider), "reward_external_id,amount\nRW-1,1.00\n").content.decode()
    assert "No reward has the external id “RW-1”." in page
    assert Reward.objects.get(external_id="RW-1").redeemed_minor == 0


def test_viewers_cannot_open_or_use_bulk_redemption(client_for, viewer):
    assert client_for(viewer).get(URL).status_code == 403
    assert upload(client_for(viewer), "reward_external_id,amount\nRW-1,1.00\n").status_code == 403


def test_rows_are_checked_against_what_earlier_rows_used(client_for, researcher, organization):
    account, _ = make_account(organization)
    make_reward(account, amount_minor=1_000, external_id="RW-9")
    page = upload(client_for(researcher), "reward_external_id,amount\nRW-9,6.00\nRW-9,6.00\n").content.decode()
    assert "Over balance: this reward has $4.00 available." in page
