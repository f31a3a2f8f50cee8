from django.urls import path

from merging import views

app_name = "merging"
urlpatterns = [
    path("", views.dialog, name="dialog"),
    path("search/", views.search, name="search"),
    path("contacts/<int:contact_id>/merge/", views.pick, name="pick"),
    path("contacts/<int:contact_id>/unmerge/", views.unmerge, name="unmerge"),
    path("backfill/", views.backfill, name="backfill"),
    path("suggestions/<int:suggestion_id>/dismiss/", views.dismiss, name="dismiss"),
    path("records/<int:record_id>/undo/", views.undo, name="undo"),
]
