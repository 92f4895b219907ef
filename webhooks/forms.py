from django import forms
from django.utils.translation import gettext_lazy as _

from .events import EVENT_TYPES


class EndpointForm(forms.Form):
    url = forms.URLField(
        label=_("Endpoint URL"), max_length=2000, assume_scheme="https",
        widget=forms.URLInput(attrs={"placeholder": _("https://example.com/webhooks/gratia")}),
    )
    description = forms.CharField(label=_("Description"), max_length=200, required=False)
    events = forms.MultipleChoiceField(
        label=_("Events"), choices=[(name, name) for name in EVENT_TYPES], widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one event to send.")},
    )


class ReplaySinceForm(forms.Form):
    since = forms.DateTimeField(
        label=_("Replay everything since (UTC)"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"],
    )
