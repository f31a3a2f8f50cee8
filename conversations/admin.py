from django.contrib import admin

from conversations.models import Conversation, Event, Message, Workflow, WorkflowRun


@admin.register(Conversation)
class ConversationAdmin(admin.ModelAdmin):
    list_display = ("id", "contact", "channel", "status", "opened_by", "assignee", "team", "last_message_at")
    list_filter = ("status", "opened_by", "channel__kind", "team")
    search_fields = ("contact__name",)
    raw_id_fields = ("contact", "profile", "opened_by_user", "assignee")
    list_select_related = ("contact", "channel", "assignee", "team")


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = ("id", "direction", "channel", "status", "body", "created_at")
    list_filter = ("direction", "status", "channel__kind")
    search_fields = ("body", "platform_message_id")
    raw_id_fields = ("conversation", "identity", "author", "reply_to")
    list_select_related = ("channel",)


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    list_display = ("kind", "contact", "conversation", "actor", "created_at")
    list_filter = ("kind",)
    raw_id_fields = ("contact", "profile", "conversation", "actor")
    list_select_related = ("contact", "actor")


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
