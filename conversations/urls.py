from django.urls import path

from conversations import views

app_name = "conversations"
urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("c/<int:conversation_id>/", views.conversation_detail, name="detail"),
    path("c/<int:conversation_id>/older/", views.timeline_older, name="older"),
    path("c/<int:conversation_id>/newer/", views.timeline_newer, name="newer"),
    path("c/<int:conversation_id>/send/", views.send, name="send"),
    path("c/<int:conversation_id>/comment/", views.comment, name="comment"),
    path("c/<int:conversation_id>/assign/", views.assign, name="assign"),
    path("c/<int:conversation_id>/close/", views.close, name="close"),
    path("c/<int:conversation_id>/reopen/", views.reopen, name="reopen"),
    path("messages/<int:message_id>/", views.message_item, name="message"),
    path("messages/<int:message_id>/retry/", views.retry, name="retry"),
    path("contact/<int:contact_id>/", views.open_contact, name="contact"),
    path("attachments/<int:attachment_id>/", views.attachment_detail, name="attachment"),
    path("attachments/<int:attachment_id>/file/", views.attachment_file, name="attachment_file"),
    path(
        "attachments/<int:attachment_id>/thumbnail/",
        views.attachment_file,
        {"thumbnail": True},
        name="attachment_thumbnail",
    ),
    path("attachments/<int:attachment_id>/retry/", views.attachment_retry_view, name="attachment_retry"),
]
