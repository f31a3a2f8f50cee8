"""Access helpers: 404 for a contact the user may not see."""

from django.http import Http404

from contacts.models import Contact
from contacts.selectors import contact_for_url, visible_contacts


def access_contact(user, contact_id: int) -> Contact:
    """The visible contact for this id (following merges to the contact that holds it)."""
    contact = contact_for_url(contact_id)
    if contact is None or not visible_contacts(user).filter(pk=contact.pk).exists():
        raise Http404("No such contact.")
    return contact
