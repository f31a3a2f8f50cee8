"""Response headers: the CSP with a nonce, private pages never cached, Vary on htmx requests."""

import re
from pathlib import Path

import pytest
from django.urls import reverse

ROOT = Path(__file__).resolve().parents[2]


def test_pages_carry_a_nonce_csp_that_forbids_framing(client, manager):
    client.force_login(manager)
    response = client.get("/inbox/")
    policy = response["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in policy
    assert "script-src 'self'" in policy and "'unsafe-inline'" not in policy
    assert "object-src 'none'" in policy


def test_the_nonce_in_a_page_matches_its_header(client, webchat):
    response = client.get(reverse("inbound:widget_demo"))
    nonce = re.search(r'<style nonce="([^"]+)"', response.content.decode()).group(1)
    assert f"'nonce-{nonce}'" in response["Content-Security-Policy"]


def test_widget_endpoints_have_their_own_policy(client, webchat):
    response = client.get(reverse("inbound:widget_config", args=[webchat.public_id]))
    assert response["Content-Security-Policy"] == "default-src 'none'; frame-ancestors 'none'"
    assert response["Access-Control-Allow-Origin"] == "*"


def test_private_pages_are_not_stored(client, manager):
    client.force_login(manager)
    for path in ("/inbox/", "/contacts/", "/dashboard/", "/inbox/updates/"):
        cache_control = client.get(path)["Cache-Control"]
        assert "no-store" in cache_control and "private" in cache_control, path


def test_widget_answers_to_a_visitor_are_not_stored(client, webchat):
    started = client.post(reverse("inbound:widget_sessions", args=[webchat.public_id]), "{}", "application/json")
    response = client.get(
        reverse("inbound:widget_messages", args=[webchat.public_id]),
        headers={"Authorization": f"Bearer {started.json()['token']}"},
    )
    assert "no-store" in response["Cache-Control"]


def test_a_page_that_also_answers_fragments_varies_on_hx_request(client, manager):
    client.force_login(manager)
    page = client.get("/contacts/")
    fragment = client.get("/contacts/", headers={"HX-Request": "true", "HX-Target": "contact-results"})
    for response in (page, fragment):
        assert "HX-Request" in response["Vary"]


TEMPLATE_DIRS = [ROOT / "templates", *ROOT.glob("*/templates"), *ROOT.glob("*/*/templates")]
INLINE_HANDLER = re.compile(r"\son[a-z]+\s*=", re.IGNORECASE)
INLINE_SCRIPT_OR_STYLE = re.compile(r"<(script|style)\b(?![^>]*\b(src|nonce)=)[^>]*>", re.IGNORECASE)
STYLE_ATTRIBUTE = re.compile(r"\sstyle\s*=", re.IGNORECASE)


@pytest.mark.parametrize(
    "template", [p for d in TEMPLATE_DIRS for p in d.rglob("*.html")], ids=lambda p: str(p.relative_to(ROOT))
)
def test_no_template_has_inline_handlers_scripts_or_styles_without_nonce(template):
    text = template.read_text()
    assert not INLINE_HANDLER.search(text)
    assert not INLINE_SCRIPT_OR_STYLE.search(text)
    assert not STYLE_ATTRIBUTE.search(text)
