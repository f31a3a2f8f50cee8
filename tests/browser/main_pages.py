"""The main pages a manager works on, each reached the way a user reaches it (for layout and axe checks)."""

from dataclasses import dataclass

from playwright.sync_api import expect

from merging.services import contact_merge
from tests.factories import contact_of, inbound, make_team


@dataclass
class Workspace:
    conversation_id: int
    merged_contact_id: int
    channel_id: int


def build_workspace(manager, agent, whatsapp, email_channel, webchat) -> Workspace:
    """Contacts on several channels, a merged contact, a duplicate pair to merge by hand, a team."""
    make_team("Support", agent)
    wa = inbound(whatsapp, "6281234567890", "Halo kak, barangnya masih ada? " * 3, name="Sheena Nelson")
    mail = contact_of(inbound(email_channel, "sheena.nelson@example.com", "Another colour?", name="Sheena N."))
    contact_merge(actor=manager, target=contact_of(wa), source=mail)
    inbound(webchat, "visitor-1", "Hello from the website", name="Rina Putri", email="rina@work.example")
    inbound(webchat, "visitor-2", "Halo", name="Rina P.", email="rina@home.example")
    for n in range(8):
        inbound(whatsapp, f"62812000000{n:02d}", f"Pesan nomor {n}", name=f"Customer {n}")
    return Workspace(
        conversation_id=wa.conversation_id, merged_contact_id=wa.conversation.contact_id, channel_id=whatsapp.pk
    )


def open_merge_dialog(page, base_url: str) -> None:
    page.goto(f"{base_url}/contacts/?q=rina")
    picks = page.locator("input[name=pick]")
    expect(picks).to_have_count(2)
    picks.nth(0).check()
    picks.nth(1).check()
    page.locator("#merge-picked").click()
    expect(page.locator("dialog#dialog")).to_be_visible()
    expect(page.locator("dialog#dialog")).to_contain_text("rina@home.example")


def main_pages(workspace: Workspace) -> list[tuple[str, str | None]]:
    """(name, path); a path of None is reached by an action (the merge dialog)."""
    return [
        ("inbox", "/inbox/"),
        ("open conversation", f"/inbox/c/{workspace.conversation_id}/"),
        ("dashboard", "/dashboard/"),
        ("contacts", "/contacts/"),
        ("contact detail", f"/contacts/{workspace.merged_contact_id}/"),
        ("merge dialog", None),
        ("workflows", "/workflows/"),
        ("new workflow", "/workflows/new/"),
        ("channels access", "/channels/"),
        ("channel access form", f"/channels/{workspace.channel_id}/access/"),
    ]


# No htmx request in flight. The main pages are whole when loaded (none loads a region by itself, and the
# workspace is smaller than a page of any list); this guards a region that would start loading on load.
HTMX_SETTLED = "() => !document.querySelector('.htmx-request')"


def visit(page, base_url: str, path: str | None) -> None:
    """Open the page and wait until it is complete: loaded, with htmx idle. Not until network idle,
    which every signed-in page's update poll (every 1.5 s) delays by half a second or more."""
    if path is None:
        open_merge_dialog(page, base_url)
    else:
        page.goto(base_url + path)
    page.wait_for_function(HTMX_SETTLED)
