import django_filters
from django.utils.translation import gettext_lazy as _

from tenancy.models import Organization

from .models import Payout, PayoutBatch


class PayoutBatchFilterSet(django_filters.FilterSet):
    method = django_filters.ChoiceFilter(choices=Organization.PayoutMethod.choices, empty_label=_("Any method"))
    status = django_filters.ChoiceFilter(choices=PayoutBatch.Status.choices, empty_label=_("Any status"))

    class Meta:
        model = PayoutBatch
        fields = ["method", "status"]


class PayoutFilterSet(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=Payout.Status.choices, empty_label=_("Any status"))

    class Meta:
        model = Payout
        fields = ["status"]
