"""The Recipients tab's filters. Relative dates count back from `timezone.now()`."""

import datetime
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

import django_filters
from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from budgets.models import Budget
from core.money import decimals
from studies.models import Study

from .models import Incentive

# "Within the past ..." and "before one year ago" count whole days back from now.
RELATIVE_PERIODS = {
    "week": datetime.timedelta(days=7),
    "month": datetime.timedelta(days=30),
    "year": datetime.timedelta(days=365),
}
SENT_CHOICES = [
    ("week", _("Within the past week")),
    ("month", _("Within the past month")),
    ("year", _("Within the past year")),
    ("over_a_year", _("Before one year ago")),
    ("before", _("Before a date")),
    ("after", _("After a date")),
    ("between", _("Between two dates")),
]
DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def start_of_day(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=timezone.get_current_timezone())


class RecipientFilterForm(forms.Form):
    """The custom dates of the "sent" filter; which ones count depends on the option chosen."""

    sent_date = forms.DateField(required=False, widget=DATE_INPUT, label=_("Date"))
    sent_from = forms.DateField(required=False, widget=DATE_INPUT, label=_("From"))
    sent_to = forms.DateField(required=False, widget=DATE_INPUT, label=_("To"))

    def clean(self):
        data = super().clean()
        sent = data.get("sent")
        if sent in ("before", "after") and not data.get("sent_date"):
            self.add_error("sent_date", _("Choose the date."))
        if sent == "between":
            start, end = data.get("sent_from"), data.get("sent_to")
            if not start or not end:
                self.add_error("sent_from" if not start else "sent_to", _("Choose both dates."))
            elif start > end:
                self.add_error("sent_to", _("The end date is before the start date."))
        low, high = data.get("amount_min"), data.get("amount_max")
        if low is not None and high is not None and low > high:
            self.add_error("amount_max", _("The maximum is below the minimum."))
        return data


class RecipientFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_search", label=_("Search"), widget=forms.TextInput(attrs={"type": "search", "placeholder": _("Name or email")}))
    status = django_filters.ChoiceFilter(choices=Incentive.Status.choices, label=_("Status"), empty_label=_("Any status"))
    payout = django_filters.ChoiceFilter(
        field_name="payout_status", choices=Incentive.PayoutStatus.choices, label=_("Payout"), empty_label=_("Any payout")
    )
    sent = django_filters.ChoiceFilter(choices=SENT_CHOICES, method="filter_sent", label=_("Sent"), empty_label=_("Any time"))
    study = django_filters.ModelChoiceFilter(queryset=Study.objects.none(), label=_("Study"), empty_label=_("Any study"))
    budget = django_filters.ModelChoiceFilter(queryset=Budget.objects.none(), label=_("Budget"), empty_label=_("Any budget"))
    amount_min = django_filters.NumberFilter(method="filter_amount", label=_("Amount from"), min_value=0)
    amount_max = django_filters.NumberFilter(method="filter_amount", label=_("Amount to"), min_value=0)

    class Meta:
        model = Incentive
        fields = ["q", "status", "payout", "sent", "study", "budget", "amount_min", "amount_max"]
        form = RecipientFilterForm

    def __init__(self, data=None, queryset=None, *, organization, fixed_budget=None, **kwargs):
        super().__init__(data, queryset, **kwargs)
        self.organization = organization
        studies = Study.objects.for_org(organization).order_by("name")
        # On a budget's page the Study filter offers that budget's studies only.
        self.filters["study"].queryset = studies.filter(budget=fixed_budget) if fixed_budget is not None else studies
        self.filters["budget"].queryset = Budget.objects.for_org(organization).order_by("name")
        # Every filter but the search box reloads the table on change (the template's hx-trigger);
        # the search box does as the person types, never when it loses focus. (After the
        # querysets: the form is built on first use.)
        for name, field in self.form.fields.items():
            if name != "q":
                field.widget.attrs["class"] = "filter-on-change"

    def filter_queryset(self, queryset):
        # Invalid filters match nothing (the form says why) rather than silently fewer filters.
        if not self.form.is_valid():
            return queryset.none()
        # The form also holds the custom dates, which only the "sent" filter reads.
        for name, filter_ in self.filters.items():
            if name in self.form.cleaned_data:
                queryset = filter_.filter(queryset, self.form.cleaned_data[name])
        return queryset

    def narrows(self, *, ignore=()) -> bool:
        """Whether a valid filter other than those in `ignore` is set."""
        return self.is_valid() and any(
            value not in (None, "") for name, value in self.form.cleaned_data.items() if name in self.filters and name not in ignore
        )

    def filter_search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(participant__name__icontains=value) | Q(participant__email__icontains=value))

    def filter_sent(self, queryset, name, value):
        data = self.form.cleaned_data
        if value in RELATIVE_PERIODS:
            return queryset.filter(sent_at__gte=timezone.now() - RELATIVE_PERIODS[value])
        if value == "over_a_year":
            return queryset.filter(sent_at__lt=timezone.now() - RELATIVE_PERIODS["year"])
        if value == "before":
            return queryset.filter(sent_at__lt=start_of_day(data["sent_date"]))
        if value == "after":
            return queryset.filter(sent_at__gte=start_of_day(data["sent_date"] + datetime.timedelta(days=1)))
        if value == "between":
            return queryset.filter(
                sent_at__gte=start_of_day(data["sent_from"]),
                sent_at__lt=start_of_day(data["sent_to"] + datetime.timedelta(days=1)),
            )
        return queryset

    def filter_amount(self, queryset, name, value):
        """Amounts are typed in whole units of each row's currency (10 means $10.00 and ¥10)."""
        above = name == "amount_min"
        condition = Q()
        for currency in Budget.objects.for_org(self.organization).values_list("currency", flat=True).distinct():
            minor = (Decimal(value).scaleb(decimals(currency))).to_integral_value(ROUND_CEILING if above else ROUND_FLOOR)
            bound = {"amount_minor__gte" if above else "amount_minor__lte": int(minor)}
            condition |= Q(currency=currency, **bound)
        return queryset.filter(condition) if condition else queryset.none()
