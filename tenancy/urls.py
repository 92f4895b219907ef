from django.urls import path

from . import views

app_name = "tenancy"
urlpatterns = [
    path("switch/", views.organization_switch, name="switch"),
    path("settings/", views.organization_settings, name="settings"),
]
