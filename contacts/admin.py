from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from contacts.models import Comment, Contact, ContactKey, Event


class ContactKeyInline(admin.TabularInline):
    model = ContactKey
    fk_name = "contact"
    extra = 0
    fields = ("kind", "raw", "value", "is_valid", "source", "verified", "identity", "profile")
    readonly_fields = fields
    can_delete = False


@admin.register(Contact)
class ContactAdmin(SimpleHistoryAdmin):
    list_display = ("id", "name", "primary_email", "primary_phone", "absorbed_count", "root", "created_at")
    list_filter = ("absorbed_count", ("root", admin.EmptyFieldListFilter))
    search_fields = ("name", "keys__value")
    raw_id_fields = ("primary_email", "primary_phone", "main_identity")
    # Merge bookkeeping is written by the merge and unmerge services only (exact undo relies on it).
    readonly_fields = ("root", "merged_into", "absorbed_count")
    list_select_related = ("primary_email", "primary_phone", "root")
    inlines = [ContactKeyInline]


@admin.register(ContactKey)
class ContactKeyAdmin(SimpleHistoryAdmin):
    list_display = ("value", "kind", "raw", "is_valid", "source", "verified", "contact", "profile")
    list_filter = ("kind", "is_valid", "source", "verified")
    search_fields = ("value", "raw")
    raw_id_fields = ("contact",)
    readonly_fields = ("profile",)
    list_select_related = ("contact", "profile")


@admin.register(Comment)
class CommentAdmin(SimpleHistoryAdmin):
    list_display = ("body", "contact", "author", "created_at")
    search_fields = ("body",)
    raw_id_fields = ("contact", "conversation")
    readonly_fields = ("profile",)
    list_select_related = ("contact", "author")


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    list_display = ("kind", "contact", "conversation", "actor", "created_at")
    list_filter = ("kind",)
    raw_id_fields = ("contact", "conversation", "actor")
    readonly_fields = ("profile",)
    list_select_related = ("contact", "actor")
