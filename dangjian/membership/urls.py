from django.urls import path

from dangjian.membership import views

app_name = "membership"
urlpatterns = [
    path("", views.member_list, name="list"),
    path("composition/", views.composition, name="composition"),
    path("export/", views.member_export, name="export"),
    path("import/", views.import_upload, name="import"),
    path("import/template.xlsx", views.import_template, name="import_template"),
    path("import/<int:pk>/", views.import_job, name="import_job"),
    path("import/<int:pk>/confirm/", views.import_confirm, name="import_confirm"),
    path("<int:pk>/", views.member_detail, name="detail"),
    path("<int:pk>/edit/", views.member_edit, name="edit"),
    path("<int:pk>/status/", views.member_status, name="status"),
]
