"""The contributors' and moderators' pages: contribute forms, "my contributions", moderation."""

from django.urls import path

from contributions import views

app_name = "contributions"

urlpatterns = [
    path("contribute/claim/", views.contribute_claim, name="contribute-claim"),
    path("contribute/argument/", views.contribute_argument, name="contribute-argument"),
    path("contribute/correction/", views.contribute_correction, name="contribute-correction"),
    path("contribute/flag/", views.contribute_flag, name="contribute-flag"),
    path("contributions/", views.contribution_list, name="list"),
    path("contributions/<int:pk>/", views.contribution_detail, name="detail"),
    path("contributions/<int:pk>/edit/", views.contribution_edit, name="edit"),
    path("contributions/<int:pk>/withdraw/", views.contribution_withdraw, name="withdraw"),
    path("moderation/", views.moderation_queue, name="moderation"),
    path("moderation/<int:pk>/", views.moderation_item, name="moderation-item"),
    *(
        path(
            f"moderation/<int:pk>/{decision}/",
            views.moderation_decide,
            {"decision": decision},
            name=decision,
        )
        for decision in views.DECISIONS
    ),
]
