"""Root URLs: the editors' admin; the API and the public pages will hang off here too."""

from django.contrib import admin
from django.urls import path
from django.views.generic import RedirectView

admin.site.site_header = "Claimtrack editors"
admin.site.site_title = "Claimtrack"
admin.site.index_title = "Curate notes, claims and arguments"

urlpatterns = [
    path("admin/", admin.site.urls),
    # Until the public pages exist, the front door is the editors' admin.
    path("", RedirectView.as_view(pattern_name="admin:index", permanent=False)),
]
