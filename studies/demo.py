import datetime
import itertools

from django.utils import timezone

from core.money import Money

from .models import Study, StudyParticipant
from .services import study_create, study_participant_add

Status = StudyParticipant.Status
PEOPLE = [
    "Ada Lovelace", "Alan Turing", "Grace Hopper", "Katherine Johnson", "Linus Pauling", "Marie Curie",
    "Niels Bohr", "Rosalind Franklin", "Carl Sagan", "Hedy Lamarr", "Emmy Noether", "Barbara McClintock",
]
# Twelve participants per study, in every status; incentives.demo then pays some of them.
STATUSES = [Status.INVITED] * 2 + [Status.SCHEDULED] * 2 + [
    Status.INTERVIEW_COMPLETED, Status.SURVEY_COMPLETED, Status.TEST_COMPLETED,
] + [Status.INCENTIVE_NOT_SENT] * 5
STUDIES = [
    # organization, name, budget, amount, owners, description
    ("acme", "Onboarding interviews", "Customer interviews 2026", "25.00", ["researcher@acme.test"],
     "Forty-minute interviews with customers who signed up this quarter."),
    ("acme", "Checkout usability test", "EU usability tests", "40.00", ["owner@acme.test", "researcher@acme.test"],
     "Moderated tests of the new checkout, in the Berlin lab."),
    ("acme", "Pricing survey", "Customer interviews 2026", "10.00", ["owner@acme.test"],
     "A short survey about the new plans."),
    ("globex", "Globex panel study", "Globex panel", "20.00", ["owner@globex.test"], "Globex's own study."),
]


def _upcoming_sessions():
    """The scheduled participants' sessions: 10:00 UTC on the coming days, 40 minutes each."""
    ten = timezone.now().replace(hour=10, minute=0, second=0, microsecond=0)
    for days in itertools.count(1):
        yield {"session_at": ten + datetime.timedelta(days=days), "session_minutes": 40}


def seed(demo, stdout):
    demo.studies = {}
    for slug, name, budget_name, amount, owner_emails, description in STUDIES:
        organization = demo.orgs[slug]
        study = Study.objects.for_org(organization).filter(name=name).first()
        if study is None:
            budget = demo.budgets[budget_name]
            owners = [demo.users[email] for email in owner_emails]
            study = study_create(
                organization=organization, name=name, description=description, budget=budget,
                amount=Money.parse(amount, budget.currency), actor=owners[0], owners=owners,
            )
            sessions = _upcoming_sessions()
            for person, status in zip(PEOPLE[len(demo.studies) % 3:] + PEOPLE, STATUSES):
                email = person.lower().replace(" ", ".") + "@example.test"
                session = next(sessions) if status == Status.SCHEDULED else {}
                study_participant_add(study=study, actor=owners[0], name=person, email=email, status=status, **session)
        demo.studies[name] = study
