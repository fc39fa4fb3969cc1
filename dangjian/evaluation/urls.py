from django.urls import path

from dangjian.evaluation import views

app_name = "evaluation"
urlpatterns = [
    path("", views.index, name="index"),
    path("quarterly/", views.upward, name="upward"),
    path("plans/<int:pk>/", views.plan_detail, name="plan"),
    path("plans/<int:pk>/leaves/<int:leaf>/", views.leaf_update, name="leaf_update"),
    path("plans/<int:pk>/publish/", views.plan_publish, name="plan_publish"),
    path("plans/<int:pk>/revise/", views.plan_revise, name="plan_revise"),
    path("plans/<int:pk>/run/", views.plan_run, name="plan_run"),
    path("plans/<int:pk>/judgements/<str:level>/", views.judgements, name="judgements"),
    path("runs/<int:pk>/", views.run_overview, name="run"),
    path("runs/<int:pk>/method/", views.method, name="method"),
    path("runs/<int:pk>/flags/", views.flags, name="flags"),
    path("runs/<int:pk>/export/", views.run_export, name="run_export"),
    path("runs/<int:pk>/pdf/", views.run_pdf, name="run_pdf"),
    path("runs/<int:pk>/units/<int:unit>/", views.scorecard, name="scorecard"),
    path("runs/<int:pk>/units/<int:unit>/<str:code>/<str:part>/", views.records, name="records"),
]
