import django_filters
from django.db.models import Q

from .models import Advocate, RewardAccount
from django.utils.translation import gettext_lazy as _


def _accounts(request):
    return RewardAccount.objects.for_org(request.organization) if request else RewardAccount.objects.none()


class AdvocateFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label=_("Search"), help_text=_("Name, email, account or external id"))
    account = django_filters.ModelChoiceFilter(queryset=_accounts, empty_label=_("All accounts"))
    w9 = django_filters.ChoiceFilter(
        label="W-9", choices=[("submitted", _("Submitted")), ("missing", _("Missing"))], method="filter_w9", empty_label=_("Any")
    )

    class Meta:
        model = Advocate
        fields = ["q", "account", "w9"]

    def search(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(
            Q(name__icontains=value)
            | Q(email__icontains=value)
            | Q(external_id__iexact=value)
            | Q(account__name__icontains=value)
            | Q(account__external_id__iexact=value)
        )

    def filter_w9(self, queryset, name, value):
        return queryset.filter(w9_submitted_at__isnull=(value == "missing"))
