"""Studies, their participants and where each participant stands in each study."""

import datetime

from django.conf import settings
from django.db import models
from django.db.models import ExpressionWrapper, F, Q
from django.utils.translation import gettext_lazy as _, pgettext_lazy

from budgets.models import Budget
from core.money import Money
from tenancy.models import TenantModel, TenantQuerySet


class Study(TenantModel):
    class Status(models.TextChoices):
        OPEN = "open", pgettext_lazy("study status", "Open")
        CLOSED = "closed", pgettext_lazy("study status", "Closed")

    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    owners = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="owned_studies", blank=True,
        help_text=_("Teammates who share ownership: they (and organization admins) send incentives."),
    )
    # The incentive plan: what each participant gets, from which budget (in its currency).
    budget = models.ForeignKey(Budget, on_delete=models.PROTECT, related_name="studies")
    incentive_amount_minor = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    created_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = _("studies")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "name"], name="study_name_unique"),
            models.CheckConstraint(condition=Q(incentive_amount_minor__gt=0), name="study_incentive_positive"),
        ]

    def __str__(self):
        return self.name

    @property
    def incentive_amount(self) -> Money:
        return Money(self.incentive_amount_minor, self.currency)

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN


class Participant(TenantModel):
    """A person who takes part in studies; one per email address in an organization."""

    name = models.CharField(max_length=200)
    email = models.EmailField()
    w9_submitted_at = models.DateTimeField(
        null=True, blank=True, help_text=_("When the organization received this person's W-9 (payments above the yearly tax threshold wait for it).")
    )
    # The language their emails are written in (a code of settings.LANGUAGES); None until known:
    # an import's "language" column sets it, else the browser that first opens their claim page.
    language = models.CharField(max_length=16, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "email"], name="participant_email_unique")
        ]
        # Lists of people, and the Recipients table sorted by participant, walk this.
        indexes = [models.Index(fields=["organization", "name"], name="participant_org_name")]

    def __str__(self):
        return f"{self.name} <{self.email}>"


class StudyParticipantQuerySet(TenantQuerySet):
    def session_ended(self, now: datetime.datetime):
        """Scheduled, with a session over by `now`, in an open study; not no-shows, and not
        ones a researcher put back to Scheduled after their session."""
        ends = ExpressionWrapper(
            F("session_at") + F("session_minutes") * datetime.timedelta(minutes=1), output_field=models.DateTimeField()
        )
        return self.filter(
            status=StudyParticipant.Status.SCHEDULED, session_at__isnull=False, no_show=False,
            completion_undone_at__isnull=True, study__status=Study.Status.OPEN,
        ).alias(session_end=ends).filter(session_end__lte=now)


class StudyParticipant(TenantModel):
    """A participant's status in one study."""

    class Status(models.TextChoices):
        INVITED = "invited", pgettext_lazy("participant status", "Invited")
        SCHEDULED = "scheduled", pgettext_lazy("participant status", "Scheduled")
        INTERVIEW_COMPLETED = "interview_completed", _("Interview completed")
        SURVEY_COMPLETED = "survey_completed", _("Survey completed")
        TEST_COMPLETED = "test_completed", _("Test completed")
        INCENTIVE_NOT_SENT = "incentive_not_sent", _("Incentive not sent")
        INCENTIVE_SENT = "incentive_sent", _("Incentive sent")

    # The "Done" group: the activity is complete and the incentive is still to send.
    DONE = (
        Status.INTERVIEW_COMPLETED,
        Status.SURVEY_COMPLETED,
        Status.TEST_COMPLETED,
        Status.INCENTIVE_NOT_SENT,
    )
    # The side panel's groups, in order: (key, label, statuses).
    GROUPS = [
        ("invited", pgettext_lazy("participant group", "Invited"), (Status.INVITED,)),
        ("scheduled", pgettext_lazy("participant group", "Scheduled"), (Status.SCHEDULED,)),
        ("done", pgettext_lazy("participant group", "Done"), DONE),
        ("sent", pgettext_lazy("participant group", "Incentive sent"), (Status.INCENTIVE_SENT,)),
    ]

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="memberships")
    participant = models.ForeignKey(Participant, on_delete=models.PROTECT, related_name="studies")
    status = models.CharField(max_length=30, choices=Status.choices, default=Status.INVITED)
    objects = StudyParticipantQuerySet.as_manager()
    added_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # A scheduled session: once it has ended, beat marks the participant done (the incentive is
    # due) unless they didn't come, or a researcher undid that for this session.
    session_at = models.DateTimeField(_("Session time"), null=True, blank=True)
    session_minutes = models.PositiveIntegerField(_("Session length (minutes)"), null=True, blank=True)
    no_show = models.BooleanField(default=False, help_text=_("Didn't come to the session: never completed automatically."))
    completed_automatically_at = models.DateTimeField(null=True, blank=True)
    completion_undone_at = models.DateTimeField(
        null=True, blank=True, help_text=_("A researcher undid the automatic completion; a new session time clears it.")
    )

    class Meta:
        ordering = ["participant__name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["study", "participant"], name="study_participant_unique"),
            models.CheckConstraint(
                condition=Q(session_at__isnull=True, session_minutes__isnull=True)
                | Q(session_at__isnull=False, session_minutes__gt=0),
                name="study_participant_session_whole",
            ),
        ]
        indexes = [
            models.Index(fields=["study", "status"]),
            # Beat's sweep for ended sessions reads only the scheduled rows that have one.
            models.Index(
                fields=["session_at"], name="study_participant_session_due",
                condition=Q(status="scheduled", session_at__isnull=False, no_show=False, completion_undone_at__isnull=True),
            ),
        ]

    def __str__(self):
        return f"{self.participant} in {self.study}: {self.get_status_display()}"

    @property
    def is_done(self) -> bool:
        return self.status in self.DONE

    @property
    def session_ends_at(self):
        if self.session_at is None:
            return None
        return self.session_at + datetime.timedelta(minutes=self.session_minutes)
