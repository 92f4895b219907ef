from django import forms

from .events import EVENT_TYPES


class EndpointForm(forms.Form):
    url = forms.URLField(
        label="Endpoint URL", max_length=2000, assume_scheme="https",
        widget=forms.URLInput(attrs={"placeholder": "https://example.com/webhooks/gratia"}),
    )
    description = forms.CharField(max_length=200, required=False)
    events = forms.MultipleChoiceField(
        choices=[(name, name) for name in EVENT_TYPES], widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one event to send."},
    )


class ReplaySinceForm(forms.Form):
    since = forms.DateTimeField(
        label="Replay everything since (UTC)", widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"],
    )
