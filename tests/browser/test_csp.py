"""The app and the web chat widget work under their Content-Security-Policy: no violation reported.

Every page gets a listener for `securitypolicyviolation` before any of its scripts run, and the
console is watched for "Refused to …" messages. The widget is embedded on a page of another origin
whose own policy allows only what docs/security.md tells host sites to allow.
"""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from playwright.sync_api import expect

from tests.browser.main_pages import build_workspace, main_pages, visit
from tests.servers import stop_in_background

pytestmark = pytest.mark.django_db(transaction=True)

LISTEN = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolations.push(e.violatedDirective + " blocked " + (e.blockedURI || "inline") + " at " + e.sourceFile);
});
"""


def watch(page) -> list[str]:
    console: list[str] = []
    page.add_init_script(LISTEN)
    page.on(
        "console",
        lambda message: (
            console.append(message.text)
            if "Content Security Policy" in message.text or "Refused to" in message.text
            else None
        ),
    )
    return console


def violations(page) -> list[str]:
    return page.evaluate("window.__cspViolations || []")


def test_main_pages_work_under_the_csp_with_no_violation(
    login, live_server, page, manager, agent, whatsapp, email_channel, webchat
):
    workspace = build_workspace(manager, agent, whatsapp, email_channel, webchat)
    console = watch(page)
    page.goto(f"{live_server.url}/login/")
    found = {"login": violations(page)}
    login(manager)
    for name, path in main_pages(workspace):
        visit(page, live_server.url, path)
        found[name] = violations(page)
    # htmx itself works under the policy: a tab switch and a fragment load in the open conversation.
    page.goto(f"{live_server.url}/inbox/c/{workspace.conversation_id}/")
    page.get_by_role("tab", name="Channels").click()
    expect(page.locator("#panel-channels")).to_be_visible()
    found["conversation tabs"] = violations(page)
    assert "frame-ancestors 'none'" in page.request.get(f"{live_server.url}/inbox/").headers["content-security-policy"]
    assert not [v for vs in found.values() for v in vs], found
    assert not console, console


class HostSite(BaseHTTPRequestHandler):
    """A business's page on another origin, with a strict policy of its own."""

    app = ""

    def do_GET(self):  # noqa: N802
        body = (
            "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Host shop</title></head>"
            "<body><h1>Host shop</h1>"
            f"<script src='{self.app}/widget.js' data-channel='{self.channel}' async></script></body></html>"
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        # What docs/security.md tells a host site to allow for the widget: its script and its API.
        self.send_header(
            "Content-Security-Policy",
            f"default-src 'none'; script-src {self.app}; connect-src {self.app}; style-src 'self'",
        )
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def host_site(live_server, webchat):
    handler = type("Host", (HostSite,), {"app": live_server.url, "channel": str(webchat.public_id)})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/"
    stop_in_background(server)


def test_widget_on_another_origin_works_under_that_sites_strict_policy(new_context, live_server, webchat, host_site):
    assert not host_site.startswith(live_server.url)
    visitor = new_context().new_page()
    console = watch(visitor)
    visitor.goto(host_site)
    widget = visitor.locator("#mergeinbox-widget")
    widget.get_by_role("button", name="Chat with us").click()
    widget.get_by_label("Message").fill("Hello from another site")
    widget.get_by_role("button", name="Send").click()
    expect(widget.locator(".msg.visitor")).to_have_text("Hello from another site")
    # The constructed stylesheet applied although the host refuses inline styles.
    assert widget.locator(".bubble").evaluate("e => getComputedStyle(e).position") == "fixed"
    assert violations(visitor) == []
    assert not console, console
