from django import template
from django.utils.html import format_html
from django.utils.translation import gettext as _

from audit.tables import history_url

register = template.Library()


@register.simple_tag(takes_context=True)
def history_link(context, obj, text=None):
    """A link to `obj`'s own history on the Audit page, for owners and admins only."""
    membership = getattr(context.get("request"), "membership", None)
    if obj is None or not (membership and membership.is_manager):
        return ""
    return format_html('<a href="{}" class="history-link">{}</a>', history_url(f"{obj._meta.label_lower}:{obj.pk}"), text or _("History"))
