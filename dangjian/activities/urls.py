from django.urls import path

from dangjian.activities import views

app_name = "activities"
urlpatterns = [
    path("", views.activity_list, name="list"),
    path("new/", views.activity_new, name="new"),
    path("upcoming/", views.public_list, name="public"),
    path("<int:pk>/", views.activity_detail, name="detail"),
    path("<int:pk>/sign-up/", views.activity_sign_up, name="sign_up"),
    path("<int:pk>/cancel/", views.activity_cancel, name="cancel"),
    path("<int:pk>/code/", views.check_in_code, name="code"),
    path("<int:pk>/feedback/", views.activity_feedback, name="feedback"),
    path("<int:pk>/outcome/", views.activity_outcome, name="outcome"),
    path("<int:pk>/check-in/", views.check_in, name="check_in"),
    path("<int:pk>/walk-in/", views.walk_in, name="walk_in"),
    path("sign-ups/<int:pk>/cancel/", views.sign_up_cancel, name="sign_up_cancel"),
    path("sign-ups/<int:pk>/mark/", views.sign_up_mark, name="sign_up_mark"),
]
