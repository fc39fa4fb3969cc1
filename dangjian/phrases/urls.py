from django.urls import path

from dangjian.phrases import views

app_name = "phrases"
urlpatterns = [path("", views.manage, name="manage")]
