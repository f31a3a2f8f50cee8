from merging.services.merge import MergeRefused, contact_merge, merge_plan
from merging.services.suggestions import suggestion_dismiss
from merging.services.unmerge import contact_unmerge

__all__ = ["MergeRefused", "contact_merge", "contact_unmerge", "merge_plan", "suggestion_dismiss"]
