from django.contrib import admin
from guardian.admin import GuardedModelAdmin
from simple_history.admin import SimpleHistoryAdmin

from channels.models import Channel, ChannelIdentity, WebchatSession


@admin.register(Channel)
class ChannelAdmin(GuardedModelAdmin):
    list_display = ("name", "kind", "public_id", "is_active", "created_at")
    list_filter = ("kind", "is_active")
    search_fields = ("name", "public_id")
    readonly_fields = ("public_id", "created_at")


@admin.register(ChannelIdentity)
class ChannelIdentityAdmin(SimpleHistoryAdmin):
    list_display = ("external_id", "channel", "display_name", "contact", "profile", "last_inbound_at")
    list_filter = ("channel__kind", "channel")
    search_fields = ("external_id", "display_name", "username")
    raw_id_fields = ("contact", "profile")
    list_select_related = ("channel", "contact", "profile")


@admin.register(WebchatSession)
class WebchatSessionAdmin(admin.ModelAdmin):
    list_display = ("public_id", "channel", "name", "email", "phone", "created_at")
    search_fields = ("name", "email", "phone")
    readonly_fields = ("token_hash",)
