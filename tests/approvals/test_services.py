"""The two-person rule at service level: what waits, who may decide, what approving and
rejecting do to the money, the emails and the webhook events."""

import pytest
from django.core import mail
from django.core.management import call_command

from approvals.models import Approval
from approvals.services import ApprovalError, approval_approve, approval_reject, requires_approval
from core.errors import InvalidInput, NotAllowed
from core.models import OutboundEmail
from core.money import Money
from incentives import services as incentives
from incentives.models import Incentive
from studies.models import Study, StudyParticipant
from webhooks.models import WebhookEvent
from webhooks.services import webhook_endpoint_create

from ..factories import member
from ..incentives.helpers import send_to
from ..incentives.test_send import budget_figures
from .conftest import set_thresholds

pytestmark = pytest.mark.django_db
USD = "USD"


def to(message) -> str:
    """The address a message went to, without the name."""
    return message.to[0].rsplit("<", 1)[-1].rstrip(">")


def big_send(study, researcher, count=5):
    """5 × $25.00 = $125.00: above the $100.00 total threshold."""
    return send_to(study, count, actor=researcher)


def test_nothing_waits_without_a_threshold(organization):
    assert not requires_approval(organization=organization, total=Money(10**9, USD), per_participant=Money(10**9, USD))


def test_a_payment_waits_above_either_threshold_to_the_cent(thresholds):
    org = thresholds
    assert not requires_approval(organization=org, total=Money(10_000, USD), per_participant=Money(5_000, USD))
    assert requires_approval(organization=org, total=Money(10_001, USD), per_participant=Money(100, USD))
    assert requires_approval(organization=org, total=Money(5_001, USD), per_participant=Money(5_001, USD))


def test_another_currency_always_waits_while_a_threshold_is_set(thresholds):
    assert requires_approval(organization=thresholds, total=Money(1, "EUR"))


def test_a_send_above_the_threshold_waits_with_its_money_reserved_and_no_email(
    thresholds, study, researcher, owner, budget, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        sent = big_send(study, researcher)
    assert {i.status for i in sent} == {Incentive.Status.AWAITING_APPROVAL}
    assert budget_figures(budget) == (100_000 - 12_500, 12_500, 0)
    approval = Approval.objects.get()
    assert (approval.status, approval.amount, approval.requested_by) == ("pending", Money(12_500, USD), researcher)
    assert not OutboundEmail.objects.filter(purpose="incentive_claim").exists()
    # The approvers are told (the owner is one; the researcher who asked is not).
    assert [to(m) for m in mail.outbox] == [owner.email]
    assert "Approval needed" in mail.outbox[0].subject
    call_command("verify_ledger")


def test_a_send_below_the_threshold_goes_out_at_once(thresholds, study, researcher):
    sent = send_to(study, 2, actor=researcher)
    assert {i.status for i in sent} == {"unclaimed"} and not Approval.objects.exists()


def test_the_requester_cant_approve_their_own_send(thresholds, study, owner):
    big_send(study, owner)
    with pytest.raises(NotAllowed) as refused:
        approval_approve(approval=Approval.objects.get(), actor=owner)
    assert refused.value.code == "own_request"
    assert Approval.objects.get().status == "pending"


@pytest.mark.parametrize("role", ["researcher", "viewer"])
def test_a_researcher_or_viewer_cant_approve(thresholds, study, owner, role, organization):
    big_send(study, owner)
    with pytest.raises(NotAllowed) as refused:
        approval_approve(approval=Approval.objects.get(), actor=member(organization, role))
    assert refused.value.code == "not_approver"


def test_a_member_of_another_organization_cant_approve(thresholds, study, owner, outsider):
    big_send(study, owner)
    with pytest.raises(NotAllowed):
        approval_approve(approval=Approval.objects.get(), actor=outsider)


def test_an_admin_approves_and_the_send_goes_out_exactly_once(
    thresholds, study, researcher, admin_user, budget, django_capture_on_commit_callbacks
):
    sent = big_send(study, researcher)
    approval = Approval.objects.get()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        approval_approve(approval=approval, actor=admin_user)
    assert set(Incentive.objects.filter(pk__in=[i.pk for i in sent]).values_list("status", flat=True)) == {"unclaimed"}
    assert OutboundEmail.objects.filter(purpose="incentive_claim").count() == 5
    claims = [m for m in mail.outbox if "Thank you" in m.subject]
    assert len(claims) == 5
    assert [to(m) for m in mail.outbox if m.subject.startswith("Approved")] == [researcher.email]
    assert budget_figures(budget) == (100_000 - 12_500, 12_500, 0)  # the reservation stands: nothing moved twice
    with pytest.raises(ApprovalError) as again:
        approval_approve(approval=approval, actor=admin_user)
    assert again.value.code == "already_approved"
    assert OutboundEmail.objects.filter(purpose="incentive_claim").count() == 5
    approval.refresh_from_db()
    assert (approval.status, approval.decided_by) == ("approved", admin_user)
    call_command("verify_ledger")


def test_an_approved_incentive_can_be_claimed(thresholds, study, researcher, admin_user):
    sent = big_send(study, researcher)
    approval_approve(approval=Approval.objects.get(), actor=admin_user)
    incentive = Incentive.objects.select_related("organization", "study", "participant").get(pk=sent[0].pk)
    incentives.incentive_claim(incentive=incentive, payout_method="gift_card", payout_details={"gift_card_email": "pat@example.test"})
    assert Incentive.objects.get(pk=incentive.pk).status == "claimed"


def test_an_incentive_awaiting_approval_cant_be_claimed_or_cancelled(thresholds, study, researcher):
    sent = big_send(study, researcher)
    incentive = Incentive.objects.select_related("organization", "study", "participant").get(pk=sent[0].pk)
    with pytest.raises(incentives.ClaimRefused):
        incentives.incentive_claim(incentive=incentive, payout_method="gift_card", payout_details={"gift_card_email": "pat@example.test"})
    with pytest.raises(incentives.IncentiveError):
        incentives.incentive_cancel(incentive=incentive, actor=researcher)
    assert Incentive.objects.get(pk=incentive.pk).status == "awaiting_approval"


def test_a_rejected_send_releases_its_money_and_tells_the_requester_why(
    thresholds, study, researcher, owner, budget, django_capture_on_commit_callbacks
):
    sent = big_send(study, researcher)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        approval = approval_reject(approval=Approval.objects.get(), actor=owner, reason="Not in this quarter's plan")
    assert budget_figures(budget) == (100_000, 0, 0)
    assert approval.release.kind == "release" and approval.release.reference == f"approval:{approval.pk}"
    assert set(Incentive.objects.filter(pk__in=[i.pk for i in sent]).values_list("status", flat=True)) == {"cancelled"}
    assert set(StudyParticipant.objects.filter(study=study).values_list("status", flat=True)) == {"incentive_not_sent"}
    assert not OutboundEmail.objects.filter(purpose="incentive_claim").exists()
    [told] = mail.outbox
    assert to(told) == researcher.email and "Not in this quarter's plan" in told.body
    call_command("verify_ledger")


def test_a_rejection_needs_a_reason(thresholds, study, researcher, owner):
    big_send(study, researcher)
    with pytest.raises(InvalidInput):
        approval_reject(approval=Approval.objects.get(), actor=owner, reason="  ")
    assert Approval.objects.get().status == "pending"


def test_the_participants_of_a_waiting_send_cant_be_sent_twice(thresholds, study, researcher):
    big_send(study, researcher)
    rows = StudyParticipant.objects.filter(study=study)
    with pytest.raises(incentives.IncentiveError):
        incentives.incentives_send(
            study=study, participant_ids=[r.participant_id for r in rows], amount=Money(100, USD),
            subject="Again", message="", actor=researcher,
        )


def test_approving_after_the_study_closed_is_refused_and_keeps_waiting(thresholds, study, researcher, owner):
    big_send(study, researcher)
    Study.objects.filter(pk=study.pk).update(status=Study.Status.CLOSED)
    with pytest.raises(incentives.IncentiveError) as refused:
        approval_approve(approval=Approval.objects.get(), actor=owner)
    assert refused.value.code == "study_closed"
    assert Approval.objects.get().status == "pending"


def test_approvals_emit_webhook_events(thresholds, study, researcher, owner, organization, receiver):
    webhook_endpoint_create(
        organization=organization, url=receiver.url,
        events=["approval.requested", "approval.approved", "approval.rejected"], actor=owner,
    )
    big_send(study, researcher)
    approval_approve(approval=Approval.objects.get(), actor=owner)
    big_send(study, researcher)
    approval_reject(approval=Approval.objects.pending().get(), actor=owner, reason="Twice is enough")
    assert list(WebhookEvent.objects.order_by("pk").values_list("type", flat=True)) == [
        "approval.requested", "approval.approved", "approval.requested", "approval.rejected",
    ]
    rejected = WebhookEvent.objects.order_by("pk").last()
    assert '"reason":"Twice is enough"' in rejected.body and '"status":"rejected"' in rejected.body


def test_set_thresholds_helper_is_what_the_tests_use(organization):
    set_thresholds(organization, total_minor=1)
    assert organization.approvals_enabled
