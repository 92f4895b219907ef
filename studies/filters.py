import django_filters
from django.utils.translation import gettext_lazy as _

from budgets.models import Budget

from .models import Study


def _budgets(request):
    return Budget.objects.for_org(request.organization) if request else Budget.objects.none()


class StudyFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(field_name="name", lookup_expr="icontains", label=_("Search"))
    status = django_filters.ChoiceFilter(choices=Study.Status.choices, label=_("Status"), empty_label=_("Any status"))
    budget = django_filters.ModelChoiceFilter(queryset=_budgets, label=_("Budget"), empty_label=_("All budgets"))
    mine = django_filters.ChoiceFilter(
        method="owned_by_me", label=_("Owner"), choices=[("mine", _("Studies I own"))], empty_label=_("Anyone's")
    )

    class Meta:
        model = Study
        fields = ["q", "status", "budget"]

    def owned_by_me(self, queryset, name, value):
        return queryset.filter(owners=self.request.user) if value == "mine" else queryset
