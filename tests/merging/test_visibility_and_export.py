import json
from io import StringIO

from django.core.management import call_command
from guardian.shortcuts import assign_perm

from channels.models import ChannelKind
from contacts.selectors import visible_contacts
from conversations.selectors import visible_conversations
from merging.models import MergeSuggestion
from merging.services import contact_merge
from tests.factories import UserFactory, contact_of, inbound, make_channel, make_team


def test_agent_sees_only_contacts_and_conversations_on_channels_they_may_access(
    whatsapp, telegram, agent_without_access
):
    wa = contact_of(inbound(whatsapp, "6281234567890"))
    contact_of(inbound(telegram, "77"))
    assign_perm("channels.access_channel", agent_without_access, whatsapp)
    assert list(visible_contacts(agent_without_access)) == [wa]
    assert [c.contact_id for c in visible_conversations(agent_without_access)] == [wa.pk]


def test_access_granted_to_a_team_reaches_its_agents(whatsapp, telegram):
    member = UserFactory(username="tia")
    team = make_team("Support", member)
    assign_perm("channels.access_channel", team.group, telegram)
    tg = contact_of(inbound(telegram, "77"))
    contact_of(inbound(whatsapp, "6281234567890"))
    assert list(visible_contacts(member)) == [tg]


def test_agent_without_any_access_sees_nothing(whatsapp, agent_without_access):
    inbound(whatsapp, "6281234567890")
    assert not visible_contacts(agent_without_access).exists()


def test_managers_see_every_contact(whatsapp, telegram, manager):
    inbound(whatsapp, "6281234567890")
    inbound(telegram, "77")
    assert visible_contacts(manager).count() == 2


def test_a_merged_contact_is_visible_to_an_agent_of_either_channel(whatsapp, db, manager):
    line = make_channel(ChannelKind.TELEGRAM, name="TG2")
    agent = UserFactory(username="tg-only")
    assign_perm("channels.access_channel", agent, line)
    wa = contact_of(inbound(whatsapp, "6281234567890"))
    tg = contact_of(inbound(line, "88"))
    contact_merge(actor=manager, target=wa, source=tg)
    assert list(visible_contacts(agent)) == [wa]


def test_export_lists_merged_profiles_and_open_suggestions(whatsapp, email_channel, webchat, manager):
    wa = contact_of(inbound(whatsapp, "6281234567890"))
    mail = contact_of(inbound(email_channel, "sheena@example.com"))
    contact_merge(actor=manager, target=wa, source=mail)
    web = contact_of(inbound(webchat, "s", email="Sheena@example.com"))
    out = StringIO()
    call_command("export_contacts", stdout=out)
    rows = {row["id"]: row for row in map(json.loads, out.getvalue().splitlines())}
    assert set(rows) == {wa.pk, web.pk}
    assert rows[wa.pk]["merged_from"] == [mail.pk]
    assert rows[wa.pk]["suggestions"] == [web.pk]
    assert rows[web.pk]["suggestions"] == [wa.pk]
    assert rows[wa.pk]["phones"] == ["+6281234567890"]
    assert rows[wa.pk]["emails"] == ["sheena@example.com"]
    assert {c["kind"] for c in rows[wa.pk]["channels"]} == {"whatsapp", "email"}
    assert MergeSuggestion.objects.filter(status="open").count() == 1


def test_export_gives_keys_with_source_and_verified_and_suggestion_groups(whatsapp, webchat):
    wa = contact_of(inbound(whatsapp, "6281234567890"))
    visitors = [contact_of(inbound(webchat, f"s{n}", phone="081234567890")) for n in range(3)]
    out = StringIO()
    call_command("export_contacts", stdout=out)
    rows = {row["id"]: row for row in map(json.loads, out.getvalue().splitlines())}
    assert rows[wa.pk]["keys"] == [{"kind": "phone", "value": "+6281234567890", "source": "channel", "verified": True}]
    assert rows[visitors[0].pk]["keys"] == [
        {"kind": "phone", "value": "+6281234567890", "source": "prechat", "verified": False}
    ]
    everyone = sorted([wa.pk, *(v.pk for v in visitors)])
    group = {"kind": "phone", "value": "+6281234567890", "members": everyone}
    assert all(rows[pk]["suggestion_groups"] == [group] for pk in everyone)
    assert rows[wa.pk]["suggestions"] == [v.pk for v in visitors]
    assert rows[visitors[1].pk]["suggestions"] == [wa.pk]
