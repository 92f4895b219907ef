import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .models import IncentiveProgram, IncentiveType, Offer
from .transitions import Status


def programs_of(request):
    return IncentiveProgram.objects.for_org(request.organization) if request else IncentiveProgram.objects.none()


class OfferFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label=_("Search"))
    status = django_filters.ChoiceFilter(choices=Status.choices, label=_("Status"), empty_label=_("Any status"))
    program = django_filters.ModelChoiceFilter(queryset=programs_of, label=_("Program"), empty_label=_("Any program"))
    incentive_type = django_filters.ChoiceFilter(choices=IncentiveType.choices, empty_label=_("Any type"), label=_("Type"))
    delivery = django_filters.ChoiceFilter(choices=Offer.Delivery.choices, label=_("Delivery"), empty_label=_("Any delivery"))

    class Meta:
        model = Offer
        fields = ["q", "status", "program", "incentive_type", "delivery"]

    def search(self, queryset, name, value):
        value = value.strip()
        match = Q(recipient_name__icontains=value) | Q(recipient_email__icontains=value) | Q(program__name__icontains=value)
        match |= Q(members__name__icontains=value) | Q(members__email__icontains=value)
        if value.lstrip("#").isdigit():
            match |= Q(pk=int(value.lstrip("#")))
        return queryset.filter(pk__in=queryset.model.objects.filter(match).values("pk"))
