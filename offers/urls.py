from django.urls import path

from . import public_views, views

app_name = "offers"

# Included at the site root: provider pages under /provider/, public pages by token.
urlpatterns = [
    path("provider/profile/", views.provider_profile, name="profile"),
    path("provider/programs/", views.program_list, name="programs"),
    path("provider/programs/<int:pk>/", views.program_detail, name="program_detail"),
    path("provider/incentive-offers/", views.offer_list, name="list"),
    path("provider/incentive-offers/new/", views.offer_create, name="create"),
    path("provider/incentive-offers/distributions.csv", views.distributions_export, name="distributions_export"),
    path("provider/incentive-offers/<int:pk>/", views.offer_detail, name="detail"),
    path("provider/incentive-offers/<int:pk>/edit/", views.offer_edit, name="edit"),
    path("provider/incentive-offers/<int:pk>/status/", views.offer_transition, name="transition"),
    path("provider/incentive-offers/<int:pk>/expiry/", views.offer_extend_expiry, name="extend_expiry"),
    path("provider/incentive-offers/<int:pk>/messages/", views.offer_messages, name="messages"),
    path("provider/incentive-offers/<int:pk>/members/", views.offer_members, name="members"),
    path("provider/incentive-offers/<int:pk>/distributions/", views.offer_distributions, name="distributions"),
    path(
        "provider/incentive-offers/<int:pk>/distributions/<int:distribution_pk>/correct/",
        views.distribution_reverse,
        name="distribution_reverse",
    ),
    path("provider/incentive-offers/<int:pk>/widget/", views.widget_embed, name="widget_embed"),
    path("provider/incentive-offers/link-templates/", views.link_template_list, name="link_templates"),
    path("provider/incentive-offers/link-templates/<int:pk>/", views.link_template_edit, name="link_template_edit"),
    path(
        "provider/incentive-offers/link-templates/<int:pk>/make-link/",
        views.link_template_make_link,
        name="link_template_make_link",
    ),
    path("provider/", views.provider_home, name="home"),
    # Public: reached only through an unguessable token.
    path("offer/<str:token>/", public_views.recipient_offer, name="recipient"),
    path("offer/<str:token>/act/", public_views.recipient_act, name="recipient_act"),
    path("offer/<str:token>/leave/", public_views.recipient_leave, name="recipient_leave"),
    path("offer/<str:token>/messages/", public_views.recipient_messages, name="recipient_messages"),
    path("offer/<str:token>/updates/", public_views.recipient_updates, name="recipient_updates"),
    path("offer-link/<str:token>/", public_views.shared_link, name="link"),
    path("widget/<str:token>.js", public_views.widget_script, name="widget_script"),
    path("widget/<str:token>/", public_views.widget_frame, name="widget_frame"),
]
