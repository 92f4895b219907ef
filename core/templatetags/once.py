from django import template
from django.utils.html import format_html

from core.once import FIELD, new_key

register = template.Library()


@register.simple_tag
def once_field():
    """The hidden one-time key of a money-moving form (core.once)."""
    return format_html('<input type="hidden" name="{}" value="{}">', FIELD, new_key())
