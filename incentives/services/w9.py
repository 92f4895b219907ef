"""The W-9 a held incentive's claim page collects (docs/tax.md).

Above the yearly tax threshold a participant without a W-9 on file is sent held incentives
(`Incentive.w9_hold`): they can claim, and the payout waits. Their claim page collects the W-9
(`w9_submit`, or `incentive_claim_with_w9` for the claim and the W-9 in one transaction); the
organization's owners and admins are emailed through the outbox; one of them accepts it
(`w9_accept`), which records the participant's W-9 and releases every incentive of theirs held
for it. The TIN is checked as the IRS issues them (python-stdnum), sealed with core.crypto, and
only its last four digits are kept in clear.
"""

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from stdnum.us import ein, ssn

from approvals.services import email_approvers
from core.crypto import seal
from core.errors import InvalidInput, NotAllowed
from studies.models import Participant
from tenancy.models import Membership

from ..models import Incentive, W9Submission
from . import IncentiveError, incentive_claim, participant_mark_w9

TinType = W9Submission.TinType
TIN_FORMATS = {TinType.SSN: (ssn, "123-45-6789"), TinType.EIN: (ein, "12-3456789")}


def tin_compact(*, tin_type: str, tin: str) -> str:
    """The TIN's nine digits, or InvalidInput saying what is wrong with it."""
    if tin_type not in TIN_FORMATS:
        raise InvalidInput(_("Choose whether your taxpayer identification number is an SSN or an EIN."), "w9_tin_type")
    module, example = TIN_FORMATS[tin_type]
    digits = module.compact(tin or "")
    if not digits.isdigit() or len(digits) != 9:
        raise InvalidInput(_("An %(type)s has nine digits, like %(example)s.") % {"type": tin_type.upper(), "example": example}, "w9_tin_format")
    if not module.is_valid(digits):
        raise InvalidInput(_("%(number)s is not an %(type)s the IRS issues; check the number.") % {
            "number": module.format(digits), "type": tin_type.upper()}, "w9_tin_invalid")
    return digits


def w9_state(incentive: Incentive) -> str:
    """What the claim page says of the W-9: "" (none is needed, or it is on file), "needed"
    (the page asks for it) or "waiting" (given, an owner or admin has yet to accept it)."""
    if not incentive.w9_hold or incentive.participant.w9_submitted_at is not None:
        return ""
    waiting = W9Submission.objects.filter(participant_id=incentive.participant_id, status=W9Submission.Status.SUBMITTED).exists()
    return "waiting" if waiting else "needed"


def _tell_managers(submission: W9Submission) -> None:
    organization = submission.organization
    page = settings.SITE_URL + reverse("budgets:tax")
    email_approvers(  # its owners and admins, each in their own language
        organization, purpose="w9_submitted", reference=f"w9:{submission.pk}",
        compose=lambda: (
            _("W-9 to review: %(name)s") % {"name": submission.participant.name},
            _(
                "%(name)s gave their Form W-9 on a claim page (%(tin)s).\n\n"
                "Their payments from %(organization)s this year are above the tax-reporting threshold, so their payouts "
                "wait until you accept it.\n\nReview it on Tax totals: %(page)s\n"
            ) % {"name": submission.participant.name, "tin": submission.tin_masked, "organization": organization, "page": page},
        ),
    )


@transaction.atomic
def w9_submit(*, incentive: Incentive, legal_name: str, tin_type: str, tin: str, address: str, certified: bool) -> W9Submission:
    """Record the participant's W-9 from a held incentive's claim page; the payout keeps waiting
    until an owner or admin accepts it. Refused, changing nothing, when it isn't asked for or
    a field is wrong."""
    legal_name, address = " ".join((legal_name or "").split()), (address or "").strip()
    if not legal_name:
        raise InvalidInput(_("Give your name as shown on your income tax return."), "w9_legal_name")
    digits = tin_compact(tin_type=tin_type, tin=tin)
    if not address:
        raise InvalidInput(_("Give your address (number, street, city, state and ZIP code)."), "w9_address")
    if not certified:
        raise InvalidInput(_("Tick the certification: a W-9 is valid only when you certify it."), "w9_certification")
    participant = Participant.objects.select_for_update().get(pk=incentive.participant_id)
    if not incentive.w9_hold or participant.w9_submitted_at is not None:
        raise IncentiveError(_("No W-9 is needed for this payment."), "w9_not_needed")
    try:
        with transaction.atomic():
            submission = W9Submission.objects.create(
                organization=incentive.organization, participant=participant, incentive=incentive,
                legal_name=legal_name[:200], tin_type=tin_type, tin_sealed=seal({"tin": digits}), tin_last4=digits[-4:],
                address=address[:500], certified_at=timezone.now(),
            )
    except IntegrityError:  # one waiting per person (w9_one_waiting_per_participant)
        raise IncentiveError(_("Your W-9 was received already and is being reviewed."), "w9_waiting") from None
    _tell_managers(submission)
    return submission


@transaction.atomic
def incentive_claim_with_w9(*, incentive: Incentive, payout_method: str, payout_details: dict, w9: dict) -> Incentive:
    """Claim a held incentive and give the W-9 it waits for, both or neither."""
    claimed = incentive_claim(incentive=incentive, payout_method=payout_method, payout_details=payout_details)
    w9_submit(incentive=claimed, **w9)
    return claimed


@transaction.atomic
def w9_accept(*, submission: W9Submission, actor) -> int:
    """An owner or admin has reviewed the W-9: it is the participant's W-9 on file, and every
    incentive of theirs held for it may be paid out. Returns how many were released."""
    role = Membership.objects.filter(user=actor, organization_id=submission.organization_id).values_list("role", flat=True).first()
    if role not in Membership.MANAGERS:
        raise NotAllowed(_("Only an owner or admin can accept a W-9."), "not_manager")
    changed = W9Submission.objects.filter(pk=submission.pk, status=W9Submission.Status.SUBMITTED).update(
        status=W9Submission.Status.ACCEPTED, reviewed_by=actor, reviewed_at=timezone.now()
    )
    submission.refresh_from_db()
    if not changed:
        return 0  # accepted already: a double click releases nothing twice
    return participant_mark_w9(participant=submission.participant, actor=actor)
