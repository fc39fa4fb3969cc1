from django.urls import path

from dangjian.membership.appraisal import views as appraisal_views
from dangjian.membership.care import views as care_views
from dangjian.membership.development import views as development_views
from dangjian.membership.dues import views as dues_views
from dangjian.membership.mobile import views as mobile_views
from dangjian.membership.roster import views as roster_views
from dangjian.membership.transfers import views as transfer_views

app_name = "membership"
urlpatterns = [
    path("", roster_views.member_list, name="list"),
    path("composition/", roster_views.composition, name="composition"),
    path("new/", roster_views.member_new, name="create"),
    path("export/", roster_views.member_export, name="export"),
    path("dues/", dues_views.dues_bill, name="dues_bill"),
    path("dues/arrears/", dues_views.dues_arrears, name="dues_arrears"),
    path("dues/export/", dues_views.dues_export, name="dues_export"),
    path("dues/find/", dues_views.dues_find, name="dues_find"),
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
    path("mobile/", mobile_views.mobile_list, name="mobile"),
    path("mobile/<int:pk>/end/", mobile_views.mobile_end, name="mobile_end"),
    path("reports/", mobile_views.reports, name="reports"),
    path("care/", care_views.care, name="care"),
    path("care/visits/<int:pk>/request/", care_views.visit_to_request, name="visit_to_request"),
    path("appraisal/", appraisal_views.appraisal, name="appraisal"),
    path("<int:pk>/care/", care_views.member_care, name="member_care"),
    path("<int:pk>/", roster_views.member_detail, name="detail"),
    path("<int:pk>/edit/", roster_views.member_edit, name="edit"),
    path("<int:pk>/status/", roster_views.member_status, name="status"),
]
