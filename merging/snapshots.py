"""Snapshots of a contact as it is, written into merge records before every change."""

from channels.models import ChannelIdentity
from contacts.models import Comment, Contact, ContactKey
from conversations.models import Conversation


def contact_snapshot(contact_id: int) -> dict:
    contact = Contact.objects.select_related("primary_email", "primary_phone").get(pk=contact_id)
    return {
        "id": contact.pk,
        "name": contact.name,
        "primary_email_id": contact.primary_email_id,
        "primary_email": contact.primary_email.value if contact.primary_email else None,
        "primary_phone_id": contact.primary_phone_id,
        "primary_phone": contact.primary_phone.value if contact.primary_phone else None,
        "properties": contact.properties,
        "main_identity_id": contact.main_identity_id,
        "merged_into_id": contact.merged_into_id,
        "root_id": contact.root_id,
        "absorbed_count": contact.absorbed_count,
        "profiles": sorted(Contact.objects.filter(root=contact).values_list("id", flat=True)),
        "keys": list(
            ContactKey.objects.filter(contact=contact)
            .order_by("id")
            .values("id", "kind", "value", "is_valid", "profile_id")
        ),
        "identities": list(
            ChannelIdentity.objects.filter(contact=contact)
            .order_by("id")
            .values("id", "channel_id", "external_id", "profile_id")
        ),
        "conversations": list(
            Conversation.objects.filter(contact=contact).order_by("id").values("id", "status", "profile_id")
        ),
        "comments": sorted(Comment.objects.filter(contact=contact).values_list("id", flat=True)),
    }
