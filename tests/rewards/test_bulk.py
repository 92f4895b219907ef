import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from budgets.selectors import ledger_problems
from rewards import services
from core.models import IdempotencyRecord
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
    assert "Amount “ten”: “ten” is not an amount: write decimals with a point" in page
    assert "Apply 2 good rows" in page
    assert available(account) == 5_000
    assert not Redemption.objects.exists()


def apply_preview(client, preview):
    """Submit the preview's Apply form, as the browser does: it posts the text back with CRLF."""
    text = preview.context["apply_form"].initial["csv_text"]
    return client.post(URL, {"csv_text": text.replace("\n", "\r\n")}).content.decode()


def test_applying_applies_only_the_good_rows_once_and_the_result_downloads(client_for, researcher, account, rewards):
    client = client_for(researcher)
    preview = upload(client, CSV.format(account=account.external_id))
    page = apply_preview(client, preview)
    assert "Applied 2 of 6 rows." in page
    assert available(account) == 5_000 - 1_000 - 500
    assert set(Redemption.objects.values_list("channel", flat=True)) == {"bulk"}

    again = apply_preview(client, preview)  # a double submit
    assert "Applied 0 of 6 rows." in again and again.count("Already applied") == 2
    assert available(account) == 3_500
    assert not ledger_problems()

    result = client.get(reverse("rewards:bulk_result_csv"))
    rows = list(csv.reader(io.StringIO(b"".join(result.streaming_content).decode())))
    assert rows[0] == ["line", "account_external_id", "reward_external_id", "amount", "currency", "result", "message"]
    assert rows[1][-2] == "already applied"
    assert rows[1][-1].startswith("Applied on ") and rows[1][-1].endswith(f"by {researcher.email}, from an earlier upload of this same file.")


def test_uploading_the_same_file_again_previews_its_rows_as_applied_and_applies_nothing(client_for, researcher, account, rewards):
    client = client_for(researcher)
    text = CSV.format(account=account.external_id)
    apply_preview(client, upload(client, text))
    claim = IdempotencyRecord.objects.get(key=Redemption.objects.order_by("pk").first().idempotency_key)

    preview = upload(client, text)  # a fresh upload of the same file
    page = preview.content.decode()
    when = timezone.localtime(claim.created_at)
    assert page.count(f"Applied on {when:%Y-%m-%d %H:%M %Z} by {researcher.email}") == 2
    assert [row.line for row in preview.context["rows"] if row.applied_at] == [2, 7]
    assert preview.context["good"] == 0 and "No row can be applied" in page  # the other 4 rows are bad
    assert "Applied 0 of 6 rows." in apply_preview(client, preview)
    assert (Redemption.objects.count(), available(account)) == (2, 3_500)


def test_a_file_that_differs_only_in_its_note_is_applied(client_for, researcher, account, rewards):
    client = client_for(researcher)
    apply_preview(client, upload(client, "reward_external_id,amount,note\nRW-1,10.00,January\n"))
    preview = upload(client, "reward_external_id,amount,note\nRW-1,10.00,February\n")
    assert "Apply 1 good row" in preview.content.decode()
    assert "Applied 1 of 1 rows." in apply_preview(client, preview)
    assert available(account) == 5_000 - 2 * 1_000
    assert len(set(Redemption.objects.values_list("idempotency_key", flat=True))) == 2


def test_line_endings_quotes_and_spaces_around_cells_do_not_make_another_file(client_for, researcher, account, rewards):
    client = client_for(researcher)
    apply_preview(client, upload(client, "reward_external_id,amount\nRW-1,10.00\n"))
    preview = upload(client, 'reward_external_id,amount\r\n"RW-1", 10.00 \r\n')
    assert [row.applied_at is not None for row in preview.context["rows"]] == [True]
    assert "Every row of this file was applied already" in preview.content.decode()


def test_a_row_that_failed_is_applied_when_the_same_file_is_uploaded_again(client_for, researcher, account, rewards):
    client = client_for(researcher)
    text = "reward_external_id,amount\nRW-1,10.00\nRW-2,5.00\n"
    assert "Applied 1 of 2 rows." in apply_preview(client, upload(client, text))  # RW-2 is cancelled
    services.reward_uncancel(reward=rewards[1], actor=SYSTEM)
    page = apply_preview(client, upload(client, text))
    assert "Applied 1 of 2 rows." in page and page.count("Already applied") == 1
    assert Reward.objects.get(external_id="RW-2").redeemed_minor == 500


def test_another_organization_may_apply_the_same_file(client_for, researcher, outsider, account, rewards, other_organization):
    make_reward(make_account(other_organization)[0], amount_minor=5_000, external_id="RW-1")
    text = "reward_external_id,amount\nRW-1,10.00\n"
    for user in (researcher, outsider):
        client = client_for(user)
        assert "Applied 1 of 1 rows." in apply_preview(client, upload(client, text))
    assert list(Reward.objects.filter(external_id="RW-1").values_list("redeemed_minor", flat=True)) == [1_000, 1_000]


def test_the_result_csv_neutralises_formula_cells(client_for, researcher, account, rewards):
    client = client_for(researcher)
    preview = upload(client, "reward_external_id,amount\n=cmd(),1.00\n")
    assert "No reward has the external id" in preview.content.decode()
    apply_preview(client, preview)
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
    page = upload(client_for(researcher), "reward_external_id,amount,note\nRW-9,6.00,a\nRW-9,6.00,b\n").content.decode()
    assert "Over balance: this reward has $4.00 available." in page


def upload_bytes(client, data: bytes):
    return client.post(URL, {"file": SimpleUploadedFile("redeem.csv", data, content_type="text/csv")})


def test_a_duplicate_row_is_flagged_in_the_preview_and_not_applied_unless_ticked(client_for, researcher, account, rewards):
    client = client_for(researcher)
    text = "account_external_id,reward_external_id,amount,note\n,RW-1,1.00,dup\n,RW-1,1.00,dup\n"
    preview = upload(client, text)
    page = preview.content.decode()
    assert "Same as line 2; not applied unless ticked." in page
    assert [row.duplicate_of for row in preview.context["rows"]] == [None, 2]
    assert "Apply 1 good row and the duplicates you tick" in page
    assert "Applied 1 of 2 rows." in apply_preview(client, preview)
    assert available(account) == 5_000 - 100


def test_a_ticked_duplicate_row_is_applied(client_for, researcher, account, rewards):
    client = client_for(researcher)
    preview = upload(client, "reward_external_id,amount,note\nRW-1,1.00,dup\nRW-1,1.00,dup\n")
    text = preview.context["apply_form"].initial["csv_text"]
    page = client.post(URL, {"csv_text": text, "confirm_duplicate": ["3"]}).content.decode()
    assert "Applied 2 of 2 rows." in page
    assert available(account) == 5_000 - 200


def test_a_row_with_more_cells_than_the_header_is_refused(client_for, researcher, account, rewards):
    text = f"account_external_id,reward_external_id,amount,note\n{account.external_id},,1.00,a,b,c,d\n"
    preview = upload(client_for(researcher), text)
    assert "This line has 7 cells but the header names 4 columns; nothing of it is read." in preview.content.decode()
    assert preview.context["good"] == 0


def test_a_semicolon_file_from_french_excel_is_read_with_decimal_commas(client_for, researcher, account, rewards):
    client = client_for(researcher)
    data = "\ufeffaccount_external_id;reward_external_id;amount;note\r\n;RW-1;12,50;prime d’été\r\n".encode("utf-8")
    preview = upload_bytes(client, data)
    assert preview.context["good"] == 1, preview.content.decode()
    row = preview.context["rows"][0]
    assert (row.amount.amount_minor, row.note) == (1_250, "prime d’été")
    assert "Applied 1 of 1 rows." in apply_preview(client, preview)
    assert available(account) == 5_000 - 1_250


def test_a_windows_1252_tab_separated_file_is_read(client_for, researcher, account, rewards):
    data = "reward_external_id\tamount\tnote\nRW-1\t2.00\tcafé\n".encode("cp1252")
    preview = upload_bytes(client_for(researcher), data)
    assert preview.context["good"] == 1
    assert preview.context["rows"][0].note == "café"


def test_a_decimal_comma_in_a_comma_file_is_still_refused(client_for, researcher, account, rewards):
    page = upload(client_for(researcher), 'reward_external_id,amount\nRW-1,"12,50"\n').content.decode()
    assert "write decimals with a point" in page


def test_the_preview_names_accounts_notes_and_the_rewards_an_account_row_draws_from(client_for, researcher, account, rewards):
    older = make_reward(account, amount_minor=300, external_id="RW-OLD", days_ago=40)
    page = upload(client_for(researcher), f"account_external_id,amount,note\n{account.external_id},5.00,payout\n").content.decode()
    assert account.name in page and "payout" in page
    assert f"{older.external_id} ($3.00)" in page and "RW-1 ($2.00)" in page
    assert "$5.00" in page


def test_a_partly_applied_file_ends_with_a_warning_that_says_what_failed(client_for, researcher, account, rewards):
    client = client_for(researcher)
    response = client.post(URL, {"csv_text": "reward_external_id,amount\nRW-1,1.00\nRW-2,1.00\n"}, follow=True)
    page = response.content.decode()
    assert "flash-warning" in page
    assert "Applied 1 of 2 rows. Not applied: line 3: This reward is cancelled, not available." in page
    assert "flash-success" not in page
