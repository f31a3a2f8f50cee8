from django.urls import path

from channels import access_views

app_name = "channels"
urlpatterns = [
    path("channels/", access_views.channel_list, name="access_list"),
    path("channels/<int:channel_id>/access/", access_views.channel_access, name="access"),
    path("channels/inbound/", access_views.inbound_status, name="inbound_health"),
]
