from django.db import migrations

# Existing keys: only those a platform gave us (source "channel") are verified. Keys a channel
# revealed (its own id, or a pre-chat form) name the identity of their profile that revealed them:
# the one whose id is the value, else the profile's web chat identity for pre-chat values, else
# the profile's first identity.
BACKFILL = [
    "UPDATE contacts_contactkey SET verified = (source = 'channel')",
    """
UPDATE contacts_contactkey SET identity_id = (
    SELECT i.id FROM channels_channelidentity i JOIN channels_channel c ON c.id = i.channel_id
    WHERE i.profile_id = contacts_contactkey.profile_id
    ORDER BY (i.external_id = contacts_contactkey.value OR '+' || i.external_id = contacts_contactkey.value) DESC,
             (contacts_contactkey.source = 'prechat' AND c.kind = 'webchat') DESC, i.id
    LIMIT 1
) WHERE source IN ('channel', 'prechat')
""",
]


def backfill(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in BACKFILL:
            schema_editor.execute(statement)
        return
    # SQLite (the demo) cannot correlate the ORDER BY above; the same rule, row by row.
    ContactKey = apps.get_model("contacts", "ContactKey")
    ChannelIdentity = apps.get_model("channels", "ChannelIdentity")
    ContactKey.objects.update(verified=False)
    ContactKey.objects.filter(source="channel").update(verified=True)
    for key in ContactKey.objects.filter(source__in=["channel", "prechat"]):
        identities = list(ChannelIdentity.objects.filter(profile_id=key.profile_id).select_related("channel"))
        identities.sort(
            key=lambda i: (
                i.external_id not in (key.value, key.value.lstrip("+")),
                not (key.source == "prechat" and i.channel.kind == "webchat"),
                i.pk,
            )
        )
        if identities:
            ContactKey.objects.filter(pk=key.pk).update(identity_id=identities[0].pk)


class Migration(migrations.Migration):
    """Its own migration (own transaction): PostgreSQL refuses the index creation that ends 0006
    while rows updated in the same transaction have pending foreign-key trigger events."""

    dependencies = [("contacts", "0006_contactkey_verified_and_identity")]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
