from django.contrib import admin
from guardian.admin import GuardedModelAdmin
from simple_history.admin import SimpleHistoryAdmin

from channels.delivery_log import deliveries_replay, delivery_body
from channels.models import Channel, ChannelIdentity, InboundDelivery, WebchatSession


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
    raw_id_fields = ("contact",)
    readonly_fields = ("profile",)  # the profile an unmerge gives the identity back to
    list_select_related = ("channel", "contact", "profile")


@admin.register(WebchatSession)
class WebchatSessionAdmin(admin.ModelAdmin):
    list_display = ("public_id", "channel", "name", "email", "phone", "created_at")
    search_fields = ("name", "email", "phone")
    readonly_fields = ("token_hash",)


@admin.register(InboundDelivery)
class InboundDeliveryAdmin(admin.ModelAdmin):
    list_display = ("id", "channel", "status", "received_at", "attempts", "short_error", "processed_at", "body_size")
    list_filter = ("status", "channel__kind", "channel")
    search_fields = ("=id", "sender_key", "error")
    list_select_related = ("channel",)
    ordering = ("-id",)
    actions = ("replay",)
    readonly_fields = [f.name for f in InboundDelivery._meta.fields] + ["body_text"]
    exclude = ("body",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="error")
    def short_error(self, delivery: InboundDelivery) -> str:
        return delivery.error[:120]

    @admin.display(description="body")
    def body_text(self, delivery: InboundDelivery) -> str:
        return delivery_body(delivery)[:20_000].decode("utf-8", "replace")

    @admin.action(description="Replay the selected failed deliveries")
    def replay(self, request, queryset):
        count = deliveries_replay(ids=list(queryset.values_list("pk", flat=True)))
        self.message_user(request, f"{count} failed deliveries are waiting to be processed again.")
