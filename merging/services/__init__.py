from merging.services.merge import MergeRefused, contact_merge, merge_plan
from merging.services.suggestions import suggestion_dismiss
from merging.services.undo import merge_record_undo, suggestion_reopen
from merging.services.unmerge import UnmergePlan, contact_unmerge, unmerge_plan

__all__ = [
    "MergeRefused",
    "UnmergePlan",
    "contact_merge",
    "contact_unmerge",
    "merge_plan",
    "merge_record_undo",
    "suggestion_dismiss",
    "suggestion_reopen",
    "unmerge_plan",
]
