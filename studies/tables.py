import django_tables2 as tables
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from core.tables import ConfigurableTable, MoneyColumn

from .models import Study

NUM = {"td": {"class": "num"}, "th": {"class": "num"}}


class StudyTable(ConfigurableTable):
    name = tables.LinkColumn("studies:detail", args=[tables.A("pk")], verbose_name=_("Study"), order_by=("name", "pk"))
    status = tables.Column(verbose_name=_("Status"), order_by=("status", "pk"))
    owners = tables.Column(accessor="pk", verbose_name=_("Owners"), orderable=False)
    budget = tables.Column(accessor="budget__name", verbose_name=_("Budget"), order_by=("budget__name", "pk"))
    incentive = MoneyColumn(accessor="incentive_amount_minor", verbose_name=_("Incentive"), order_by=("incentive_amount_minor", "pk"))
    participants = tables.Column(accessor="participant_count", verbose_name=_("Participants"), attrs=NUM, orderable=False)
    done = tables.Column(accessor="done_count", verbose_name=_("Done"), attrs=NUM, orderable=False)
    sent = tables.Column(accessor="sent_count", verbose_name=_("Sent"), attrs=NUM, orderable=False)
    created_at = tables.DateTimeColumn(format="Y-m-d", verbose_name=_("Created"), order_by=("created_at", "pk"))

    default_columns = ("name", "status", "owners", "budget", "incentive", "participants", "done", "sent")

    class Meta:
        model = Study
        fields = ()
        empty_text = _("No studies match.")
        order_by = ("-created_at",)

    def render_status(self, value, record):
        # The status in words, and its colour only as a second cue.
        return format_html('<span class="badge badge-{}">{}</span>', record.status, record.get_status_display())

    def render_owners(self, record):
        return format_html_join(", ", "{}", ((str(owner),) for owner in record.owners.all()))
