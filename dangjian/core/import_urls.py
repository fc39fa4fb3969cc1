from django.urls import path

from dangjian.core import import_views as views

app_name = "imports"
urlpatterns = [
    path("", views.import_index, name="index"),
    path("job/<int:pk>/", views.import_job, name="job"),
    path("job/<int:pk>/confirm/", views.import_confirm, name="confirm"),
    path("<slug:key>/", views.import_upload, name="upload"),
    path("<slug:key>/template.xlsx", views.import_template, name="template"),
]
