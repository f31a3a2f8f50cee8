from merging.services.merge import MergeRefused, contact_merge, merge_plan
from merging.services.suggestions import suggestion_dismiss
from merging.services.undo import merge_record_undo, suggestion_reopen
from merging.services.unmerge import contact_unmerge

__all__ = [
    "MergeRefused",
    "contact_merge",
    "contact_unmerge",
    "merge_plan",
    "merge_record_undo",
    "suggestion_dismiss",
    "suggestion_reopen",
]
