from django.urls import path

from .views import studies as views

app_name = "studies"
urlpatterns = [
    path("", views.study_list, name="list"),
    path("new/", views.study_create, name="create"),
    path("plan-check/", views.plan_check, name="plan_check"),
    path("<int:pk>/", views.study_detail, name="detail"),
    path("<int:pk>/edit/", views.study_edit, name="edit"),
    path("<int:pk>/close/", views.study_close, name="close"),
    path("<int:pk>/reopen/", views.study_reopen, name="reopen"),
    path("<int:pk>/panel/", views.study_panel, name="panel"),
    path("<int:pk>/participants/add/", views.study_participant_add, name="participant_add"),
    path("<int:pk>/participants/import/", views.study_participants_import, name="participants_import"),
    path("<int:pk>/participants/<int:participant_pk>/status/", views.study_participant_status, name="participant_status"),
    path("<int:pk>/participants/<int:participant_pk>/session/", views.study_participant_session, name="participant_session"),
    path("<int:pk>/participants/<int:participant_pk>/undo-completion/", views.study_participant_undo_completion, name="participant_undo_completion"),
    path("<int:pk>/participants/<int:participant_pk>/no-show/", views.study_participant_no_show, name="participant_no_show"),
]
