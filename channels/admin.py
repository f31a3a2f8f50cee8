from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from guardian.admin import GuardedModelAdmin
from simple_history.admin import SimpleHistoryAdmin

from channels.delivery_log import deliveries_replay, delivery_body
from channels.models import Channel, ChannelIdentity, InboundDelivery, WebchatSession

SECRET_FIELDS = {
    "secret": _("Webhook secret"),
    "verify_token": _("Verify token"),
    "access_token": _("Access token"),
}


def _secret_input(label) -> forms.CharField:
    widget = forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"})
    return forms.CharField(label=label, required=False, widget=widget)


class ChannelForm(forms.ModelForm):
    """The channel's secrets are write-only: the form shows whether each is set, never its value;
    a value typed in replaces it, an empty box keeps it."""

    set_secret = _secret_input(SECRET_FIELDS["secret"])
    set_verify_token = _secret_input(SECRET_FIELDS["verify_token"])
    set_access_token = _secret_input(SECRET_FIELDS["access_token"])

    class Meta:
        model = Channel
        fields = ("kind", "name", "settings", "is_active")  # the secrets: the set_* fields above

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in SECRET_FIELDS:
            self.fields[f"set_{name}"].help_text = (
                _("Set: type a new value to replace it, or leave empty to keep it.")
                if getattr(self.instance, name, "")
                else _("Not set: type a value to set it.")
            )
        if not self.instance.pk:
            self.fields["set_secret"].help_text = _("Leave empty to generate one.")

    def save(self, commit=True):
        for name in SECRET_FIELDS:
            if value := self.cleaned_data.get(f"set_{name}"):
                setattr(self.instance, name, value)
        return super().save(commit)


@admin.register(Channel)
class ChannelAdmin(GuardedModelAdmin):
    form = ChannelForm
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
