from django.urls import path

from dangjian.membership import care_views, development_views, dues_views, transfer_views, views

app_name = "membership"
urlpatterns = [
    path("", views.member_list, name="list"),
    path("composition/", views.composition, name="composition"),
    path("export/", views.member_export, name="export"),
    path("import/", views.import_upload, name="import"),
    path("import/template.xlsx", views.import_template, name="import_template"),
    path("import/<int:pk>/", views.import_job, name="import_job"),
    path("import/<int:pk>/confirm/", views.import_confirm, name="import_confirm"),
    path("dues/", dues_views.dues_bill, name="dues_bill"),
    path("dues/arrears/", dues_views.dues_arrears, name="dues_arrears"),
    path("dues/confirm-year/", dues_views.dues_confirm_year, name="dues_confirm_year"),
    path("dues/payments/<int:pk>/void/", dues_views.dues_void, name="dues_void"),
    path("dues/receipts/<str:number>/", dues_views.dues_receipt, name="dues_receipt"),
    path("<int:pk>/dues/", dues_views.member_dues, name="member_dues"),
    path("<int:pk>/transfer/", transfer_views.transfer_new, name="transfer_new"),
    path("transfers/", transfer_views.transfer_list, name="transfers"),
    path("transfers/incoming/", transfer_views.transfer_incoming, name="transfer_incoming"),
    path("transfers/<int:pk>/", transfer_views.transfer_detail, name="transfer_detail"),
    path("transfers/<int:pk>/letter.pdf", transfer_views.transfer_letter, name="transfer_letter"),
    path("development/", development_views.pipeline, name="development"),
    path("development/new/", development_views.candidate_new, name="candidate_new"),
    path("development/<int:pk>/", development_views.candidate_detail, name="candidate"),
    path("development/<int:pk>/stop/", development_views.candidate_stop, name="candidate_stop"),
    path("development/steps/<int:pk>/attachment/", development_views.step_attachment, name="step_attachment"),
    path("mobile/", care_views.mobile_list, name="mobile"),
    path("mobile/<int:pk>/end/", care_views.mobile_end, name="mobile_end"),
    path("reports/", care_views.reports, name="reports"),
    path("care/", care_views.care, name="care"),
    path("appraisal/", care_views.appraisal, name="appraisal"),
    path("<int:pk>/care/", care_views.member_care, name="member_care"),
    path("<int:pk>/", views.member_detail, name="detail"),
    path("<int:pk>/edit/", views.member_edit, name="edit"),
    path("<int:pk>/status/", views.member_status, name="status"),
]
