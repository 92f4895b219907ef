"""Every change to studies and their participants."""

import csv
import io
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction

from budgets.models import Budget
from core.errors import DomainError
from core.money import Money, MoneyError, require_positive
from tenancy.models import Membership

from .models import Participant, Study, StudyParticipant

Status = StudyParticipant.Status


class StudyError(DomainError):
    """A refused change to a study or its participants."""

    code = "study_error"


class NotAllowed(StudyError):
    code = "not_allowed"
    status = 403


def study_can_manage(*, study: Study, user, membership: Membership | None = None) -> bool:
    """The one rule for changing a study and paying from it: the organization's owners and
    admins, and researchers who own the study. A viewer never does, whatever else is true:
    owning a study adds rights only to a role that may write. Views pass the request's
    `membership` to save its query."""
    if not getattr(user, "pk", None):
        return False
    if membership is None or membership.user_id != user.pk or membership.organization_id != study.organization_id:
        membership = Membership.objects.filter(user=user, organization_id=study.organization_id).first()
    if membership is None or not membership.can_write:
        return False
    return membership.is_manager or study.owners.filter(pk=user.pk).exists()


def require_study_manager(*, study: Study, user) -> None:
    if not study_can_manage(study=study, user=user):
        raise NotAllowed("Only this study's owners and organization admins can do that.")


def _checked_plan(*, organization, budget: Budget, amount: Money) -> Money:
    if budget.organization_id != organization.pk:
        raise StudyError("Choose one of your organization's budgets.")
    if amount.currency != budget.currency:
        raise StudyError(f"Budget {budget.name} is in {budget.currency}; the amount is in {amount.currency}.")
    try:
        return require_positive(amount)
    except MoneyError as error:
        raise StudyError(str(error)) from None


@transaction.atomic
def study_create(
    *, organization, name: str, budget: Budget, amount: Money, actor, description: str = "", owners=()
) -> Study:
    """A new open study; whoever creates it owns it, with any teammates named."""
    amount = _checked_plan(organization=organization, budget=budget, amount=amount)
    study = Study.objects.create(
        organization=organization,
        name=name,
        description=description,
        budget=budget,
        incentive_amount_minor=amount.amount_minor,
        currency=amount.currency,
    )
    study.owners.set({actor, *owners})
    return study


@transaction.atomic
def study_update(
    *, study: Study, actor, name: str, budget: Budget, amount: Money, description: str = "", owners=()
) -> Study:
    require_study_manager(study=study, user=actor)
    amount = _checked_plan(organization=study.organization, budget=budget, amount=amount)
    study.name, study.description, study.budget = name, description, budget
    study.incentive_amount_minor, study.currency = amount.amount_minor, amount.currency
    study.save(update_fields=["name", "description", "budget", "incentive_amount_minor", "currency"])
    if owners:
        study.owners.set(owners)
    return study


def _participant_for(*, organization, name: str, email: str) -> Participant:
    """The organization's participant with this email (its name kept), or a new one."""
    participant, _ = Participant.objects.get_or_create(
        organization=organization, email=email.strip().lower(), defaults={"name": name.strip()}
    )
    return participant


@transaction.atomic
def study_participant_add(
    *, study: Study, actor, name: str, email: str, status: str = Status.INVITED
) -> StudyParticipant:
    require_study_manager(study=study, user=actor)
    if status == Status.INCENTIVE_SENT:
        raise StudyError("“Incentive sent” is set by sending an incentive.")
    participant = _participant_for(organization=study.organization, name=name, email=email)
    study_participant, created = StudyParticipant.objects.get_or_create(
        organization=study.organization, study=study, participant=participant, defaults={"status": status}
    )
    if not created:
        raise StudyError(f"{participant.email} is in this study already.")
    return study_participant


@dataclass
class ImportResult:
    added: list = field(default_factory=list)
    skipped: list = field(default_factory=list)
    errors: list = field(default_factory=list)


def _csv_rows(text: str):
    """(line number, name, email) for each non-empty line; a 'name,email' header is skipped."""
    for number, row in enumerate(csv.reader(io.StringIO(text)), start=1):
        cells = [cell.strip() for cell in row]
        if not any(cells):
            continue
        if number == 1 and [c.lower() for c in cells[:2]] == ["name", "email"]:
            continue
        yield number, cells


def _csv_errors(cells, seen) -> str:
    if len(cells) != 2:
        return f"expected 2 columns (name, email), found {len(cells)}"
    name, email = cells
    if not name:
        return "the name is empty"
    if len(name) > 200:
        return "the name is longer than 200 characters"
    try:
        validate_email(email)
    except ValidationError:
        return f"“{email}” is not an email address"
    if email.lower() in seen:
        return f"{email} appears twice in the file"
    return ""


@transaction.atomic
def study_participants_import(*, study: Study, actor, csv_text: str) -> ImportResult:
    """Add participants from CSV lines `name,email`. Any bad row: nothing is added and every
    bad row is reported; people already in the study are skipped."""
    require_study_manager(study=study, user=actor)
    result, valid, seen = ImportResult(), [], set()
    for number, cells in _csv_rows(csv_text):
        problem = _csv_errors(cells, seen)
        if problem:
            result.errors.append(f"Row {number}: {problem}.")
            continue
        seen.add(cells[1].lower())
        valid.append(cells)
    if not valid and not result.errors:
        result.errors.append("The file has no rows of name and email.")
    if result.errors:
        return result
    in_study = set(
        StudyParticipant.objects.for_org(study.organization)
        .filter(study=study, participant__email__in=seen)
        .values_list("participant__email", flat=True)
    )
    for name, email in valid:
        if email.lower() in in_study:
            result.skipped.append(email)
            continue
        participant = _participant_for(organization=study.organization, name=name, email=email)
        StudyParticipant.objects.create(organization=study.organization, study=study, participant=participant)
        result.added.append(email)
    return result


@transaction.atomic
def study_participant_set_status(*, study_participant: StudyParticipant, actor, status: str) -> StudyParticipant:
    """Move a participant along; completing a scheduled interview means the incentive is due."""
    require_study_manager(study=study_participant.study, user=actor)
    if status not in Status.values:
        raise StudyError("Choose one of the statuses.")
    if status == Status.INCENTIVE_SENT:
        raise StudyError("“Incentive sent” is set by sending an incentive.")
    locked = StudyParticipant.objects.select_for_update().select_related("participant").get(pk=study_participant.pk)
    if locked.status == Status.INCENTIVE_SENT:
        raise StudyError(f"{locked.participant.name} has been sent an incentive; cancel it first.")
    if status == Status.INTERVIEW_COMPLETED and locked.status == Status.SCHEDULED:
        status = Status.INCENTIVE_NOT_SENT
    locked.status = status
    locked.save(update_fields=["status", "updated_at"])
    return locked
