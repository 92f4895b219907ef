"""The API keys page of Settings (owners and admins): the keys in the list pattern, create, revoke.

A key is shown once, on the page that answers its creation, and stored only as a hash."""

import django_filters
import django_tables2 as tables
from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from core.lists import list_page
from core.tables import ConfigurableTable
from tenancy import services
from tenancy.access import get_for_org_or_404, manager_required
from tenancy.forms import ApiKeyForm
from tenancy.models import ApiKey


class ApiKeyFilterSet(django_filters.FilterSet):
    state = django_filters.ChoiceFilter(
        choices=[("active", "Active"), ("revoked", "Revoked")], method="by_state", empty_label="Active and revoked"
    )

    class Meta:
        model = ApiKey
        fields = ["state"]

    def by_state(self, queryset, name, value):
        return queryset.filter(revoked_at__isnull=value == "active")


class ApiKeyTable(ConfigurableTable):
    name = tables.Column(order_by=("name", "pk"))
    prefix = tables.TemplateColumn("<code>{{ record.prefix }}…</code>", verbose_name="Key starts", orderable=False)
    created_at = tables.TemplateColumn(
        '{{ record.created_at|date:"Y-m-d" }}{% if record.created_by %} by {{ record.created_by }}{% endif %}',
        verbose_name="Created", order_by=("created_at", "pk"),
    )
    last_used_at = tables.DateTimeColumn(format="Y-m-d H:i", verbose_name="Last used", default="never")
    actions = tables.TemplateColumn(template_name="api/_api_key_actions.html", orderable=False, verbose_name="")

    class Meta:
        empty_text = "No API keys yet."
        order_by = ("-created_at",)


def _list(request, form, status=200):
    keys = ApiKey.objects.for_org(request.organization).select_related("created_by")
    return list_page(request, "api/api_key_list.html", ApiKeyTable, ApiKeyFilterSet, keys, context={"form": form}, status=status)


@never_cache  # the answer to a POST shows the new key once: no browser or proxy may keep a copy
@manager_required
def api_key_list(request):
    if request.method != "POST":
        return _list(request, ApiKeyForm())
    form = ApiKeyForm(request.POST)
    if not form.is_valid():
        return _list(request, form, status=422)
    key, raw = services.api_key_create(organization=request.organization, name=form.cleaned_data["name"], actor=request.user)
    return render(request, "api/api_key_created.html", {"key": key, "raw": raw})


@manager_required
@require_POST
def api_key_revoke(request, pk):
    key = services.api_key_revoke(key=get_for_org_or_404(ApiKey, request, pk=pk))
    messages.success(request, f"API key “{key.name}” is revoked.")
    return redirect("api_keys:list")
