from django.urls import path

from dangjian.volunteering import views

app_name = "volunteering"
urlpatterns = [
    path("", views.index, name="index"),
    path("mine/", views.mine, name="mine"),
    path("mine/record/", views.record_submit, name="record_submit"),
    path("teams/", views.team_list, name="teams"),
    path("teams/new/", views.team_new, name="team_new"),
    path("teams/<int:pk>/", views.team_detail, name="team"),
    path("team-members/<int:pk>/leave/", views.team_member_leave, name="team_member_leave"),
    path("posts/", views.post_list, name="posts"),
    path("posts/new/", views.post_new, name="post_new"),
    path("posts/<int:pk>/", views.post_detail, name="post"),
    path("posts/<int:pk>/claim/", views.post_claim, name="post_claim"),
    path("posts/<int:pk>/cancel/", views.post_cancel, name="post_cancel"),
    path("claims/<int:pk>/decide/", views.claim_decide, name="claim_decide"),
    path("claims/<int:pk>/withdraw/", views.claim_withdraw, name="claim_withdraw"),
    path("claims/<int:pk>/check-in/", views.claim_check_in, name="claim_check_in"),
    path("claims/<int:pk>/check-out/", views.claim_check_out, name="claim_check_out"),
    path("claims/<int:pk>/record/", views.claim_record, name="claim_record"),
    path("wishes/", views.wish_list, name="wishes"),
    path("wishes/new/", views.wish_new, name="wish_new"),
    path("wishes/<int:pk>/", views.wish_detail, name="wish"),
    path("wishes/<int:pk>/take/", views.wish_take, name="wish_take"),
    path("wishes/<int:pk>/fulfil/", views.wish_fulfil, name="wish_fulfil"),
    path("wishes/<int:pk>/confirm/", views.wish_confirm, name="wish_confirm"),
    path("wishes/<int:pk>/cancel/", views.wish_cancel, name="wish_cancel"),
    path("records/", views.record_list, name="records"),
    path("records/<int:pk>/verify/", views.record_verify, name="record_verify"),
    path("records/<int:pk>/reverse/", views.record_reverse, name="record_reverse"),
    path("bank/<int:pk>/", views.person_bank, name="bank"),
    path("checks/", views.checks, name="checks"),
]
