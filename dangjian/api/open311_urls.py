"""Open311 GeoReport v2 under /open311/v2/ (filled in by the API work)."""

app_name = "open311"
urlpatterns: list = []
