from django.contrib import admin, messages

from merging.models import BackfillRun, MergeRecord, MergeSuggestion, SuggestionStatus
from merging.services import MergeRefused, merge_record_undo, suggestion_dismiss, suggestion_reopen


@admin.register(MergeSuggestion)
class MergeSuggestionAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "contact_a",
        "contact_b",
        "reason_kind",
        "reason_value",
        "status",
        "created_at",
        "resolved_by",
    )
    list_filter = ("status", "reason_kind")
    search_fields = ("reason_value",)
    raw_id_fields = ("contact_a", "contact_b", "resolved_by")
    list_select_related = ("contact_a", "contact_b", "resolved_by")
    actions = ["dismiss", "reopen"]

    @admin.action(description="Reopen selected dismissed suggestions")
    def reopen(self, request, queryset):
        for suggestion in queryset.filter(status=SuggestionStatus.DISMISSED):
            try:
                suggestion_reopen(actor=request.user, suggestion=suggestion)
            except MergeRefused as exc:
                self.message_user(request, f"#{suggestion.pk}: {exc}", messages.WARNING)

    @admin.action(description="Dismiss selected suggestions (not the same person)")
    def dismiss(self, request, queryset):
        dismissed = 0
        for suggestion in queryset.filter(status=SuggestionStatus.OPEN):
            try:
                suggestion_dismiss(actor=request.user, suggestion=suggestion)
                dismissed += 1
            except MergeRefused as exc:
                self.message_user(request, str(exc), messages.WARNING)
        self.message_user(request, f"Dismissed {dismissed} suggestion(s).")


@admin.register(MergeRecord)
class MergeRecordAdmin(admin.ModelAdmin):
    list_display = ("id", "action", "source", "target", "actor", "created_at", "undone_by")
    list_filter = ("action",)
    raw_id_fields = ("source", "target", "suggestion", "closed_conversation", "undone_by", "actor")
    list_select_related = ("source", "target", "actor")
    readonly_fields = [f.name for f in MergeRecord._meta.fields]
    actions = ["undo"]

    @admin.action(description="Undo selected merges/unmerges")
    def undo(self, request, queryset):
        for record in queryset.order_by("-created_at"):
            try:
                merge_record_undo(actor=request.user, record=record)
                self.message_user(request, f"Undid {record}.")
            except MergeRefused as exc:
                self.message_user(request, f"{record}: {exc}", messages.WARNING)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(BackfillRun)
class BackfillRunAdmin(admin.ModelAdmin):
    list_display = ("id", "status", "processed", "total", "suggestions_created", "created_at", "finished_at")
    readonly_fields = [f.name for f in BackfillRun._meta.fields]
