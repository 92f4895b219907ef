from django.urls import path

from . import views

# /system/: the background work's status page, beside the jobs it counts.
app_name = "system"
urlpatterns = [path("", views.system_status, name="status")]
