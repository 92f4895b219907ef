import django_filters

from budgets.models import Budget

from .models import Study


def _budgets(request):
    return Budget.objects.for_org(request.organization) if request else Budget.objects.none()


class StudyFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(field_name="name", lookup_expr="icontains", label="Search")
    status = django_filters.ChoiceFilter(choices=Study.Status.choices, empty_label="Any status")
    budget = django_filters.ModelChoiceFilter(queryset=_budgets, empty_label="All budgets")
    mine = django_filters.ChoiceFilter(
        method="owned_by_me", label="Owner", choices=[("mine", "Studies I own")], empty_label="Anyone's"
    )

    class Meta:
        model = Study
        fields = ["q", "status", "budget"]

    def owned_by_me(self, queryset, name, value):
        return queryset.filter(owners=self.request.user) if value == "mine" else queryset
