import django_tables2 as tables
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _, gettext_lazy

from core.tables import ConfigurableTable

from .models import Distribution, LinkTemplate, Offer
from .selectors import offer_menu

NUMBER = {"td": {"class": "num"}, "th": {"class": "num"}}


class OfferTable(ConfigurableTable):
    # Links out of the boosted results area must be plain links (htmx would swap only #results).
    id = tables.Column(linkify=("offers:detail", [tables.A("pk")]), verbose_name=gettext_lazy("ID"), attrs={"a": {"hx-boost": "false"}})
    recipient = tables.Column(
        accessor="recipient_name", empty_values=(), verbose_name=gettext_lazy("Recipient or link"),
        order_by=("recipient_name", "recipient_email"),
    )
    program = tables.Column(accessor="program__name", verbose_name=gettext_lazy("Program"))
    incentive_type = tables.Column(verbose_name=gettext_lazy("Type"))
    value = tables.Column(accessor="amount_minor", verbose_name=gettext_lazy("Value"), empty_values=(), attrs=NUMBER)
    group = tables.Column(accessor="is_group", verbose_name=gettext_lazy("Single/group"), order_by=("is_group", "max_members"))
    delivery = tables.Column(verbose_name=gettext_lazy("Delivery"))
    status = tables.TemplateColumn(
        template_code='<span class="badge status-{{ record.status }}">{{ record.get_status_display }}</span>',
        verbose_name=gettext_lazy("Status"),
    )
    expires_on = tables.DateColumn(format="Y-m-d", verbose_name=gettext_lazy("Expiry"))
    last_activity_at = tables.DateTimeColumn(format="Y-m-d H:i", verbose_name=gettext_lazy("Last activity"))
    actions = tables.Column(empty_values=(), orderable=False, verbose_name="", attrs={"td": {"class": "row-menu"}})

    class Meta:
        model = Offer
        fields = [
            "id", "recipient", "program", "incentive_type", "value", "group", "delivery", "status", "expires_on",
            "last_activity_at",
        ]
        empty_text = gettext_lazy("No offers match.")
        order_by = "-last_activity_at"

    def render_recipient(self, record):
        return record.recipient_display

    def render_value(self, record):
        return record.value_display

    def render_group(self, record):
        if record.is_group:
            return _("Group · %(joined)s of %(max)s joined") % {"joined": record.members_taken(), "max": record.max_members}
        return _("Single")

    def render_actions(self, record):
        link = self.request.build_absolute_uri(reverse("offers:link", args=[record.link_token])) if record.link_token else ""
        return render_to_string("offers/_row_menu.html", {"offer": record, "items": offer_menu(record, link_url=link)})


class LinkTemplateTable(ConfigurableTable):
    name = tables.Column(linkify=("offers:link_template_edit", [tables.A("pk")]), verbose_name=gettext_lazy("Name"))
    program = tables.Column(accessor="program__name", verbose_name=gettext_lazy("Program"))
    incentive_type = tables.Column(verbose_name=gettext_lazy("Type"))
    value = tables.Column(accessor="amount_minor", verbose_name=gettext_lazy("Value"), empty_values=(), orderable=False, attrs=NUMBER)
    is_group = tables.BooleanColumn(verbose_name=gettext_lazy("Group"))
    expiry_days = tables.Column(verbose_name=gettext_lazy("Expires after (days)"))
    usage_count = tables.Column(verbose_name=gettext_lazy("Links made"))
    actions = tables.TemplateColumn(template_name="offers/_link_template_actions.html", orderable=False, verbose_name="")

    class Meta:
        model = LinkTemplate
        fields = ["name", "program", "incentive_type", "value", "is_group", "expiry_days", "usage_count"]
        empty_text = gettext_lazy("No link templates yet.")

    def render_value(self, record):
        return record.value_display


class DistributionTable(ConfigurableTable):
    id = tables.Column(verbose_name=gettext_lazy("Record"))
    distributed_on = tables.DateColumn(format="Y-m-d", verbose_name=gettext_lazy("Date"))
    amount = tables.Column(accessor="amount_minor", verbose_name=gettext_lazy("Amount"), attrs=NUMBER)
    method = tables.Column(verbose_name=gettext_lazy("Method"))
    reference = tables.Column(verbose_name=gettext_lazy("Reference"))
    note = tables.TemplateColumn(template_name="offers/_distribution_note.html", verbose_name=gettext_lazy("Note"))
    recorded_by = tables.Column(verbose_name=gettext_lazy("Recorded by"))
    actions = tables.TemplateColumn(template_name="offers/_distribution_actions.html", verbose_name="")

    class Meta:
        model = Distribution
        fields = ["id", "distributed_on", "amount", "method", "reference", "note", "recorded_by"]
        orderable = False
        empty_text = gettext_lazy("Nothing recorded yet.")

    def render_amount(self, record):
        return str(record.amount)
