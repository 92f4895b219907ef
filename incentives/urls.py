from django.urls import path

from .views import claim, send

app_name = "incentives"
urlpatterns = [
    path("claim/<str:token>/", claim.claim, name="claim"),
    path("studies/<int:study_pk>/send/", send.incentives_send, name="send"),
    path("studies/<int:study_pk>/send/preview.html", send.incentives_send_preview_html, name="send_preview_html"),
]
