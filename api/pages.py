"""The API keys page of Settings (owners and admins): the keys in the list pattern, create, revoke.

A key is shown once, on the page the creation redirects to (kept in the session until then), and
stored only as a hash. The form carries a once key: resubmitting it makes no second key."""

import django_filters
import django_tables2 as tables
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext, gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from core.lists import list_page
from core.once import once
from core.tables import ConfigurableTable
from tenancy import services
from tenancy.access import get_for_org_or_404, manager_required
from tenancy.forms import ApiKeyForm
from tenancy.models import ApiKey

# The new key's id and raw text, shown by the next visit of its page and then forgotten.
RAW_SESSION_KEY = "api_keys.show_raw"


class ApiKeyFilterSet(django_filters.FilterSet):
    state = django_filters.ChoiceFilter(
        choices=[("active", _("Active")), ("revoked", _("Revoked"))], method="by_state", empty_label=_("Active and revoked")
    )

    class Meta:
        model = ApiKey
        fields = ["state"]

    def by_state(self, queryset, name, value):
        return queryset.filter(revoked_at__isnull=value == "active")


class ApiKeyTable(ConfigurableTable):
    name = tables.Column(order_by=("name", "pk"), verbose_name=_("Name"))
    prefix = tables.TemplateColumn("<code>{{ record.prefix }}…</code>", verbose_name=_("Key starts"), orderable=False)
    created_at = tables.TemplateColumn(
        '{% load i18n %}{{ record.created_at|date:"Y-m-d" }}{% if record.created_by %} {% blocktranslate with person=record.created_by %}by {{ person }}{% endblocktranslate %}{% endif %}',
        verbose_name=_("Created"), order_by=("created_at", "pk"),
    )
    last_used_at = tables.DateTimeColumn(format="Y-m-d H:i", verbose_name=_("Last used"), default=_("never"))
    actions = tables.TemplateColumn(template_name="api/_api_key_actions.html", orderable=False, verbose_name="")

    class Meta:
        empty_text = _("No API keys yet.")
        order_by = ("-created_at",)


def _list(request, form, status=200):
    keys = ApiKey.objects.for_org(request.organization).select_related("created_by")
    return list_page(request, "api/api_key_list.html", ApiKeyTable, ApiKeyFilterSet, keys, context={"form": form}, status=status)


@manager_required
def api_key_list(request):
    if request.method != "POST":
        return _list(request, ApiKeyForm())
    form = ApiKeyForm(request.POST)
    if not form.is_valid():
        return _list(request, form, status=422)
    with once(request) as first:
        if first:
            key, raw = services.api_key_create(organization=request.organization, name=form.cleaned_data["name"], actor=request.user)
    if not first:
        messages.info(request, gettext("Done already, once: that API key was created; it is in the list below."))
        return redirect("api_keys:list")
    request.session[RAW_SESSION_KEY] = [key.pk, raw]
    return redirect("api_keys:created", key.pk)


@never_cache  # the page shows the new key once: no browser or proxy may keep a copy
@manager_required
def api_key_created(request, pk):
    """The new key's raw text, shown the first time this page is opened after creating it."""
    key = get_for_org_or_404(ApiKey, request, pk=pk)
    shown_pk, raw = request.session.get(RAW_SESSION_KEY) or (None, "")
    if shown_pk == key.pk:
        del request.session[RAW_SESSION_KEY]
    else:
        raw = ""
    return render(request, "api/api_key_created.html", {"key": key, "raw": raw})


@manager_required
@require_POST
def api_key_revoke(request, pk):
    key = services.api_key_revoke(key=get_for_org_or_404(ApiKey, request, pk=pk))
    messages.success(request, gettext("API key “%(name)s” is revoked.") % {"name": key.name})
    return redirect("api_keys:list")
