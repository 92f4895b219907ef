import django_filters
from django.utils.translation import gettext_lazy as _

from .models import Approval


class ApprovalFilterSet(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=Approval.Status.choices, empty_label=_("Any status"))
    kind = django_filters.ChoiceFilter(choices=Approval.Kind.choices, empty_label=_("Anything"))
    mine = django_filters.ChoiceFilter(
        method="asked_by_me", label=_("Asked by"), choices=[("mine", _("Me"))], empty_label=_("Anyone")
    )

    class Meta:
        model = Approval
        fields = ["status", "kind"]

    def asked_by_me(self, queryset, name, value):
        return queryset.filter(requested_by=self.request.user) if value == "mine" else queryset
