from django.urls import path

from . import pages

app_name = "api_keys"
urlpatterns = [
    path("", pages.api_key_list, name="list"),
    path("<int:pk>/created/", pages.api_key_created, name="created"),
    path("<int:pk>/revoke/", pages.api_key_revoke, name="revoke"),
]
