from django.urls import path

from channels import access_views, views, widget_views

app_name = "channels"
urlpatterns = [
    path("webhooks/<uuid:public_id>/", views.webhook, name="webhook"),
    path("channels/", access_views.channel_list, name="access_list"),
    path("channels/<int:channel_id>/access/", access_views.channel_access, name="access"),
    path("widget.js", widget_views.widget_js, name="widget_js"),
    path("widget-demo/", widget_views.widget_demo, name="widget_demo"),
    path("webchat/<uuid:public_id>/config", widget_views.widget_config, name="widget_config"),
    path("webchat/<uuid:public_id>/sessions", widget_views.widget_sessions, name="widget_sessions"),
    path("webchat/<uuid:public_id>/messages", widget_views.widget_messages, name="widget_messages"),
]
