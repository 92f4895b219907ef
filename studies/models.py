"""Studies, their participants and where each participant stands in each study."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from budgets.models import Budget
from core.money import Money
from tenancy.models import TenantModel


class Study(TenantModel):
    class Status(models.TextChoices):
        OPEN = "open", "Open"
        CLOSED = "closed", "Closed"

    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    owners = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="owned_studies", blank=True,
        help_text="Teammates who share ownership: they (and organization admins) send incentives.",
    )
    # The incentive plan: what each participant gets, from which budget (in its currency).
    budget = models.ForeignKey(Budget, on_delete=models.PROTECT, related_name="studies")
    incentive_amount_minor = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    created_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "studies"
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
        null=True, blank=True, help_text="When the organization received this person's W-9 (payments above the yearly tax threshold wait for it)."
    )
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


class StudyParticipant(TenantModel):
    """A participant's status in one study."""

    class Status(models.TextChoices):
        INVITED = "invited", "Invited"
        SCHEDULED = "scheduled", "Scheduled"
        INTERVIEW_COMPLETED = "interview_completed", "Interview completed"
        SURVEY_COMPLETED = "survey_completed", "Survey completed"
        TEST_COMPLETED = "test_completed", "Test completed"
        INCENTIVE_NOT_SENT = "incentive_not_sent", "Incentive not sent"
        INCENTIVE_SENT = "incentive_sent", "Incentive sent"

    # The "Done" group: the activity is complete and the incentive is still to send.
    DONE = (
        Status.INTERVIEW_COMPLETED,
        Status.SURVEY_COMPLETED,
        Status.TEST_COMPLETED,
        Status.INCENTIVE_NOT_SENT,
    )
    # The side panel's groups, in order: (key, label, statuses).
    GROUPS = [
        ("invited", "Invited", (Status.INVITED,)),
        ("scheduled", "Scheduled", (Status.SCHEDULED,)),
        ("done", "Done", DONE),
        ("sent", "Incentive sent", (Status.INCENTIVE_SENT,)),
    ]

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="memberships")
    participant = models.ForeignKey(Participant, on_delete=models.PROTECT, related_name="studies")
    status = models.CharField(max_length=30, choices=Status.choices, default=Status.INVITED)
    added_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)


    class Meta:
        ordering = ["participant__name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["study", "participant"], name="study_participant_unique")
        ]
        indexes = [models.Index(fields=["study", "status"])]

    def __str__(self):
        return f"{self.participant} in {self.study}: {self.get_status_display()}"

    @property
    def is_done(self) -> bool:
        return self.status in self.DONE
