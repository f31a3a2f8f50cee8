from django.urls import reverse

from contacts.selectors import visible_contacts
from tests.factories import contact_of, inbound, make_team


def test_manager_grants_an_agent_and_a_team_access_to_a_channel(client, manager, agent_without_access, whatsapp):
    member = agent_without_access.__class__.objects.create_user("tia", password="x-pass-123456", role="agent")
    team = make_team("Support", member)
    customer = contact_of(inbound(whatsapp, "6281234567890"))
    assert not visible_contacts(agent_without_access).exists() and not visible_contacts(member).exists()
    client.force_login(manager)
    response = client.post(
        reverse("channels:access", args=[whatsapp.pk]), {"agents": [agent_without_access.pk], "teams": [team.pk]}
    )
    assert response.url == reverse("channels:access_list")
    assert list(visible_contacts(agent_without_access)) == [customer]
    assert list(visible_contacts(member)) == [customer]
    listing = client.get(reverse("channels:access_list")).content.decode()
    assert "Support" in listing and agent_without_access.username in listing

    client.post(reverse("channels:access", args=[whatsapp.pk]), {"agents": [], "teams": []})
    assert not visible_contacts(agent_without_access).exists() and not visible_contacts(member).exists()


def test_agents_cannot_manage_channel_access(client, agent, whatsapp):
    client.force_login(agent)
    assert client.get(reverse("channels:access_list")).status_code == 403
    assert client.post(reverse("channels:access", args=[whatsapp.pk]), {"agents": [agent.pk]}).status_code == 403
