from django.contrib import admin

from conversations.models import Attachment, Conversation, Message, Workflow, WorkflowRun


@admin.register(Conversation)
class ConversationAdmin(admin.ModelAdmin):
    list_display = ("id", "contact", "channel", "status", "opened_by", "assignee", "team", "last_message_at")
    list_filter = ("status", "opened_by", "channel__kind", "team")
    search_fields = ("contact__name",)
    raw_id_fields = ("contact", "opened_by_user", "assignee")
    readonly_fields = ("profile",)  # whose conversation it is on unmerge: written by the services only
    list_select_related = ("contact", "channel", "assignee", "team")


class AttachmentInline(admin.TabularInline):
    model = Attachment
    fields = ("kind", "original_name", "content_type", "declared_type", "size", "status", "attempts", "error")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True


@admin.register(Attachment)
class AttachmentAdmin(admin.ModelAdmin):
    """Files are opened from the inbox (which checks access); the admin shows the metadata."""

    list_display = ("id", "kind", "original_name", "content_type", "size", "status", "attempts", "created_at")
    list_filter = ("status", "kind", "message__channel__kind")
    search_fields = ("original_name", "platform_ref")
    raw_id_fields = ("message",)
    # Not the file fields: their admin links would point at a public URL, and none exists.
    fields = (
        "message",
        "kind",
        "original_name",
        "platform_ref",
        "declared_type",
        "content_type",
        "size",
        "latitude",
        "longitude",
        "label",
        "status",
        "error",
        "attempts",
        "created_at",
        "stored_at",
    )
    readonly_fields = ("content_type", "size", "stored_at")


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    inlines = [AttachmentInline]
    list_display = ("id", "direction", "channel", "status", "body", "created_at")
    list_filter = ("direction", "status", "channel__kind")
    search_fields = ("body", "platform_message_id")
    raw_id_fields = ("conversation", "identity", "author", "reply_to")
    list_select_related = ("channel",)


@admin.register(Workflow)
class WorkflowAdmin(admin.ModelAdmin):
    list_display = ("name", "is_active", "priority", "created_at")
    list_filter = ("is_active",)
    search_fields = ("name",)


@admin.register(WorkflowRun)
class WorkflowRunAdmin(admin.ModelAdmin):
    list_display = ("workflow", "conversation", "status", "started_at", "finished_at")
    list_filter = ("status", "workflow")
    raw_id_fields = ("conversation",)
    list_select_related = ("workflow",)
