from django.urls import path

from . import views

app_name = "incentives"
urlpatterns = [
    path("claim/<str:token>/", views.claim, name="claim"),
    path("studies/<int:study_pk>/send/", views.incentives_send, name="send"),
    path("studies/<int:study_pk>/send/preview.html", views.incentives_send_preview_html, name="send_preview_html"),
]
