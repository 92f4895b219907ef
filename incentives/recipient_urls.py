from django.urls import path

from .views import recipients

# Mounted under /incentives/ beside the Budgets tab; a namespace of its own, since
# incentives/urls.py (claim links, sending) already uses "incentives".
app_name = "recipients"
urlpatterns = [
    path("recipients/", recipients.recipient_list, name="list"),
    path("recipients/count/", recipients.recipient_count, name="count"),
    path("recipients/export/", recipients.recipients_export, name="export"),
    path("recipients/bulk/<str:action>/", recipients.recipients_bulk, name="bulk"),
    path("recipients/<int:pk>/", recipients.recipient_detail, name="detail"),
    path("recipients/<int:pk>/cancel/", recipients.recipient_cancel, name="cancel"),
    path("recipients/<int:pk>/resend/", recipients.recipient_resend, name="resend"),
]
