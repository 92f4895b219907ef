"""Every change to studies and their participants."""

import csv
import datetime
import io
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from budgets.models import Budget
from core.errors import DomainError
from core.money import Money, MoneyError, require_positive
from tenancy.models import Membership

from .models import Participant, Study, StudyParticipant

Status = StudyParticipant.Status
MAX_SESSION_MINUTES = 24 * 60


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
        raise NotAllowed(_("Only this study's owners and organization admins can do that."))


def _checked_plan(*, organization, budget: Budget, amount: Money) -> Money:
    if budget.organization_id != organization.pk:
        raise StudyError(_("Choose one of your organization's budgets."))
    if amount.currency != budget.currency:
        raise StudyError(_("Budget %(budget)s is in %(budget_currency)s; the amount is in %(currency)s.") % {
            "budget": budget.name, "budget_currency": budget.currency, "currency": amount.currency})
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


def _participant_for(*, organization, name: str, email: str, language: str | None = None) -> Participant:
    """The organization's participant with this email (its name kept), or a new one; a
    language given replaces the one known."""
    participant, created = Participant.objects.get_or_create(
        organization=organization, email=email.strip().lower(), defaults={"name": name.strip(), "language": language}
    )
    if language and not created and participant.language != language:
        Participant.objects.filter(pk=participant.pk).update(language=language)
        participant.language = language
    return participant


def supported_language(code: str) -> str | None:
    """The language of settings.LANGUAGES that `code` ("fr", "fr-CA", "FR") names, else None."""
    try:
        return translation.get_supported_language_variant(code.strip().lower().replace("_", "-"))
    except LookupError:
        return None


def participant_language_record(*, participant: Participant, language: str | None) -> None:
    """The language of the first page a participant opens (their claim page), kept for their
    emails unless one is known already."""
    if participant.language or not language:
        return
    Participant.objects.filter(pk=participant.pk, language__isnull=True).update(language=language)
    participant.language = language


@transaction.atomic
def study_participant_add(
    *, study: Study, actor, name: str, email: str, status: str = Status.INVITED,
    session_at: datetime.datetime | None = None, session_minutes: int | None = None,
) -> StudyParticipant:
    """Add someone to the study; with a session time and length, an invited person is Scheduled."""
    require_study_manager(study=study, user=actor)
    if status == Status.INCENTIVE_SENT:
        raise StudyError(_("“Incentive sent” is set by sending an incentive."))
    if problem := _session_problem(session_at, session_minutes):
        raise StudyError(problem)
    if session_at and status == Status.INVITED:
        status = Status.SCHEDULED
    participant = _participant_for(organization=study.organization, name=name, email=email)
    study_participant, created = StudyParticipant.objects.get_or_create(
        organization=study.organization, study=study, participant=participant,
        defaults={"status": status, "session_at": session_at, "session_minutes": session_minutes},
    )
    if not created:
        raise StudyError(_("%(email)s is in this study already.") % {"email": participant.email})
    return study_participant


def _session_problem(session_at, session_minutes) -> str:
    if (session_at is None) != (session_minutes is None):
        return _("Give both the session time and its length, or neither.")
    if session_minutes is not None and not 0 < session_minutes <= MAX_SESSION_MINUTES:
        return _("A session lasts between 1 and %(max)s minutes.") % {"max": MAX_SESSION_MINUTES}
    return ""


@dataclass
class ImportResult:
    added: list = field(default_factory=list)
    skipped: list = field(default_factory=list)
    errors: list = field(default_factory=list)


def _csv_rows(text: str):
    """(line number, cells, language cell or None) for each non-empty line. A header starting
    'name,email' is skipped; one with a 'language' column (name,email,language, or that column
    after the session's) makes that cell each row's language, taken out of its cells."""
    language_at = width = None
    for number, row in enumerate(csv.reader(io.StringIO(text)), start=1):
        cells = [cell.strip() for cell in row]
        if not any(cells):
            continue
        lowered = [c.lower() for c in cells]
        if number == 1 and lowered[:2] == ["name", "email"]:  # a header, of 2 or 4 columns (and a language)
            if "language" in lowered:
                language_at, width = lowered.index("language"), len(cells)
            continue
        language = cells.pop(language_at) if language_at is not None and len(cells) == width else None
        yield number, cells, language


def _csv_session(cells) -> tuple[datetime.datetime | None, int | None]:
    """The optional third and fourth cells: session time (ISO 8601, e.g. 2026-12-04 14:00, in
    the site's time zone unless it names one) and length in minutes; ValueError when unreadable."""
    if len(cells) == 2 or not (cells[2] or cells[3]):
        return None, None
    when = datetime.datetime.fromisoformat(cells[2]) if cells[2] else None
    if when is not None and timezone.is_naive(when):
        when = timezone.make_aware(when)
    return when, int(cells[3]) if cells[3] else None


def _csv_errors(cells, seen, language=None) -> str:
    if len(cells) not in (2, 4):
        return _("expected 2 columns (name, email) or 4 (name, email, session time, session minutes), found %(found)s") % {
            "found": len(cells)}
    name, email = cells[:2]
    if not name:
        return _("the name is empty")
    if len(name) > 200:
        return _("the name is longer than 200 characters")
    try:
        validate_email(email)
    except ValidationError:
        return _("“%(email)s” is not an email address") % {"email": email}
    if email.lower() in seen:
        return _("%(email)s appears twice in the file") % {"email": email}
    try:
        session = _csv_session(cells)
    except ValueError:
        return _("the session should read like 2026-12-04 14:00,60 (time, then minutes); found “%(time)s”, “%(minutes)s”") % {
            "time": cells[2], "minutes": cells[3]}
    if language and not supported_language(language):
        return _("“%(language)s” is not a language of the app (%(languages)s)") % {
            "language": language, "languages": ", ".join(code for code, _name in settings.LANGUAGES)}
    return _session_problem(*session).rstrip(".")


@transaction.atomic
def study_participants_import(*, study: Study, actor, csv_text: str) -> ImportResult:
    """Add participants from CSV lines `name,email` or `name,email,session time,session minutes`
    (those with a session are Scheduled). Any bad row: nothing is added and every
    bad row is reported; people already in the study are skipped."""
    require_study_manager(study=study, user=actor)
    result, valid, seen = ImportResult(), [], set()
    for number, cells, language in _csv_rows(csv_text):
        problem = _csv_errors(cells, seen, language)
        if problem:
            result.errors.append(_("Row %(number)s: %(problem)s.") % {"number": number, "problem": problem})
            continue
        seen.add(cells[1].lower())
        valid.append((cells, supported_language(language) if language else None))
    if not valid and not result.errors:
        result.errors.append(_("The file has no rows of name and email."))
    if result.errors:
        return result
    in_study = set(
        StudyParticipant.objects.for_org(study.organization)
        .filter(study=study, participant__email__in=seen)
        .values_list("participant__email", flat=True)
    )
    for cells, language in valid:
        name, email = cells[:2]
        if email.lower() in in_study:
            result.skipped.append(email)
            continue
        session_at, session_minutes = _csv_session(cells)
        participant = _participant_for(organization=study.organization, name=name, email=email, language=language)
        StudyParticipant.objects.create(
            organization=study.organization, study=study, participant=participant,
            status=Status.SCHEDULED if session_at else Status.INVITED,
            session_at=session_at, session_minutes=session_minutes,
        )
        result.added.append(email)
    return result


@transaction.atomic
def study_participant_set_status(*, study_participant: StudyParticipant, actor, status: str) -> StudyParticipant:
    """Move a participant along; completing a scheduled interview means the incentive is due."""
    require_study_manager(study=study_participant.study, user=actor)
    if status not in Status.values:
        raise StudyError(_("Choose one of the statuses."))
    if status == Status.INCENTIVE_SENT:
        raise StudyError(_("“Incentive sent” is set by sending an incentive."))
    locked = StudyParticipant.objects.select_for_update().select_related("participant").get(pk=study_participant.pk)
    if locked.status == Status.INCENTIVE_SENT:
        raise StudyError(_("%(name)s has been sent an incentive; cancel it first.") % {"name": locked.participant.name})
    if status == Status.INTERVIEW_COMPLETED and locked.status == Status.SCHEDULED:
        status = Status.INCENTIVE_NOT_SENT
    locked.status, locked.completed_automatically_at = status, None
    if status == Status.SCHEDULED and locked.session_ends_at and locked.session_ends_at <= timezone.now():
        locked.completion_undone_at = timezone.now()  # put back by hand: beat leaves this session alone
    locked.save(update_fields=["status", "completed_automatically_at", "completion_undone_at", "updated_at"])
    return locked


# --- Sessions and their automatic completion --------------------------------------------
COMPLETE_CHUNK = 1000


def study_participants_complete_due(*, now: datetime.datetime | None = None, chunk_size: int = COMPLETE_CHUNK) -> int:
    """Scheduled participants whose session has ended are done, their incentive due (Celery
    beat, every minute): one UPDATE per chunk of rows; returns how many. The audit trigger
    records each row's change with the task as its actor."""
    now = now or timezone.now()
    done = 0
    while True:
        due = StudyParticipant.objects.session_ended(now).order_by("pk").values("pk")[:chunk_size]
        with transaction.atomic():
            changed = StudyParticipant.objects.filter(pk__in=due).update(
                status=Status.INCENTIVE_NOT_SENT, completed_automatically_at=now, updated_at=now
            )
        done += changed
        if changed < chunk_size:
            return done


def _locked(study_participant: StudyParticipant) -> StudyParticipant:
    return StudyParticipant.objects.select_for_update().select_related("participant").get(pk=study_participant.pk)


@transaction.atomic
def study_participant_set_session(
    *, study_participant: StudyParticipant, actor, session_at: datetime.datetime | None, session_minutes: int | None
) -> StudyParticipant:
    """Set (or clear) the session; a new session is a new chance to come: no-show and an undone
    completion are cleared, and an invited participant becomes Scheduled."""
    require_study_manager(study=study_participant.study, user=actor)
    if problem := _session_problem(session_at, session_minutes):
        raise StudyError(problem)
    locked = _locked(study_participant)
    locked.session_at, locked.session_minutes = session_at, session_minutes
    locked.no_show, locked.completion_undone_at = False, None
    if session_at and locked.status == Status.INVITED:
        locked.status = Status.SCHEDULED
    locked.save(update_fields=["session_at", "session_minutes", "no_show", "completion_undone_at", "status", "updated_at"])
    return locked


@transaction.atomic
def study_participant_undo_completion(*, study_participant: StudyParticipant, actor) -> StudyParticipant:
    """Back to Scheduled after beat completed the session; beat leaves this session alone."""
    require_study_manager(study=study_participant.study, user=actor)
    locked = _locked(study_participant)
    _require_auto_completed(locked)
    locked.status, locked.completed_automatically_at, locked.completion_undone_at = Status.SCHEDULED, None, timezone.now()
    locked.save(update_fields=["status", "completed_automatically_at", "completion_undone_at", "updated_at"])
    return locked


@transaction.atomic
def study_participant_mark_no_show(*, study_participant: StudyParticipant, actor) -> StudyParticipant:
    """They didn't come: Scheduled (an automatic completion undone), never completed automatically."""
    require_study_manager(study=study_participant.study, user=actor)
    locked = _locked(study_participant)
    if locked.status != Status.SCHEDULED:
        _require_auto_completed(locked)
    locked.status, locked.completed_automatically_at, locked.no_show = Status.SCHEDULED, None, True
    locked.save(update_fields=["status", "completed_automatically_at", "no_show", "updated_at"])
    return locked


def _require_auto_completed(locked: StudyParticipant) -> None:
    name = locked.participant.name
    if locked.status == Status.INCENTIVE_SENT:
        raise StudyError(_("%(name)s has been sent an incentive; cancel it first.") % {"name": name})
    if locked.completed_automatically_at is None or locked.status not in StudyParticipant.DONE:
        raise StudyError(_("%(name)s wasn't completed automatically; change the status instead.") % {"name": name})
