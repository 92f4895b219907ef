from django.urls import path

from . import views

app_name = "rewards"
urlpatterns = [
    path("", views.advocate_list, name="advocate_list"),
    path("participants/<int:pk>/", views.advocate_detail, name="advocate_detail"),
    path("participants/<int:pk>/w9/", views.advocate_w9, name="advocate_w9"),
    path("participants/<int:pk>/w9/undo/", views.advocate_w9_undo, name="advocate_w9_undo"),
    path("participants/<int:advocate_pk>/rewards/<int:pk>/redeem/", views.reward_redeem, name="reward_redeem"),
    path("participants/<int:advocate_pk>/rewards/<int:pk>/cancel/", views.reward_cancel, name="reward_cancel"),
    path("participants/<int:advocate_pk>/rewards/<int:pk>/uncancel/", views.reward_uncancel, name="reward_uncancel"),
    path("participants/<int:advocate_pk>/rewards/<int:pk>/release/", views.reward_release, name="reward_release"),
    path("participants/<int:pk>/give/", views.reward_give, name="reward_give"),
    path("programs/", views.program_list, name="program_list"),
    path("tax.csv", views.advocate_tax_csv, name="advocate_tax_csv"),
    path("programs/<int:pk>/", views.program_edit, name="program_edit"),
    path("programs/<int:pk>/archive/", views.program_archive, name="program_archive"),
    path("bulk/", views.bulk_redeem, name="bulk_redeem"),
    path("bulk/result.csv", views.bulk_result_csv, name="bulk_result_csv"),
    path("bulk/rewards/", views.bulk_rewards, name="bulk_rewards"),
    path("bulk/rewards/result.csv", views.bulk_rewards_result_csv, name="bulk_rewards_result_csv"),
]
