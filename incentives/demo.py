from studies.models import StudyParticipant
from .services.studies import study_close

from .models import Incentive
from .services import incentive_cancel, incentive_claim, incentives_send

# Per study: how many Done participants get an incentive, how many of those claim it and
# how many are cancelled; the rest stay unclaimed.
PLAN = {
    "Onboarding interviews": (4, 2, 1),
    "Checkout usability test": (3, 1, 0),
    "Pricing survey": (3, 2, 0),
    "Globex panel study": (2, 1, 0),
}
CLOSED = ["Pricing survey"]


def _demo_payout(incentive, number: int) -> tuple[str, dict]:
    """Euro incentives are claimed by SEPA transfer (test IBANs), others by gift card or charity."""
    if incentive.currency == "EUR":
        return "bank_transfer", {"account_holder": incentive.participant.name, "iban": "FR7630006000011234567890189"}
    if number % 2:
        return "charity", {"charity_name": "Doctors Without Borders"}
    return "gift_card", {"gift_card_email": incentive.participant.email}


def seed(demo, stdout):
    for name, (send, claim, cancel) in PLAN.items():
        study = demo.studies[name]
        if Incentive.objects.for_org(study.organization).filter(study=study).exists():
            continue
        owner = study.owners.order_by("pk").first()
        done = list(
            StudyParticipant.objects.for_org(study.organization)
            .filter(study=study, status=StudyParticipant.Status.INCENTIVE_NOT_SENT)
            .order_by("pk")
            .values_list("participant_id", flat=True)[:send]
        )
        subject = f"Thank you for taking part in {study.name}"
        message = f"Hi {{name}},\n\nThank you for your time in {study.name}. Here is a small thank-you."
        incentives = incentives_send(
            study=study, participant_ids=done, amount=study.incentive_amount, subject=subject, message=message, actor=owner
        )
        for number, incentive in enumerate(incentives[:claim]):
            method, details = _demo_payout(incentive, number)
            incentive_claim(incentive=incentive, payout_method=method, payout_details=details)
        for incentive in incentives[claim:claim + cancel]:
            incentive_cancel(incentive=incentive, actor=owner)
        if name in CLOSED:
            study_close(study=study, actor=owner)
        stdout.write(f"Sent {len(incentives)} demo incentives for {study.name}; claim links are in the outbox.")
