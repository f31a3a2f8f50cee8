"""Every URL and method, for every kind of user: one table.

Cells: anonymous, agent (with access to the channel), agent without access, manager, owner,
admin. "login" means redirected to the login page. A test also checks that no route of the app
is missing from the table, so a new page cannot skip the policy unnoticed.
"""

import copy

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from conversations.attachments import attachments_store
from conversations.media import thumbnail_make
from conversations.models import Workflow
from merging.models import MergeRecord, MergeSuggestion
from merging.services import contact_merge
from tests.conversations.test_media_inbound import jpeg_bytes
from tests.factories import ROLE_USERS, TEST_CHANNELS, contact_of, inbound, make_cast

ROLES = ["anonymous", "agent", "agent_without_access", "manager", "owner", "admin_user"]
OK, LOGIN, FORBIDDEN, MISSING, REDIRECT = 200, "login", 403, 404, 302

# (name, method, url builder, data builder, expected per role in ROLES order)
MATRIX = [
    ("home", "get", lambda w: reverse("home"), None, [LOGIN, REDIRECT, REDIRECT, REDIRECT, REDIRECT, REDIRECT]),
    ("dashboard", "get", lambda w: reverse("dashboard"), None, [LOGIN, FORBIDDEN, FORBIDDEN, OK, OK, OK]),
    ("conversations:inbox", "get", lambda w: reverse("conversations:inbox"), None, [LOGIN, OK, OK, OK, OK, OK]),
    (
        "live_updates",
        "get",
        lambda w: reverse("live_updates"),
        None,
        [LOGIN, 204, 204, 204, 204, 204],
    ),
    # Under WSGI (this test client) the stream says 204: pages poll. It streams only under ASGI.
    ("live_stream", "get", lambda w: reverse("live_stream"), None, [204, 204, 204, 204, 204, 204]),
    ("live_counts", "get", lambda w: reverse("live_counts"), None, [LOGIN, OK, OK, OK, OK, OK]),
    (
        "conversations:newer",
        "get",
        lambda w: reverse("conversations:newer", args=[w["conversation"].pk]) + "?since=0_0",
        None,
        [LOGIN, OK, MISSING, OK, OK, OK],
    ),
    (
        "conversations:message",
        "get",
        lambda w: reverse("conversations:message", args=[w["message"].pk]),
        None,
        [LOGIN, OK, MISSING, OK, OK, OK],
    ),
    (
        "conversations:detail",
        "get",
        lambda w: reverse("conversations:detail", args=[w["conversation"].pk]),
        None,
        [LOGIN, OK, MISSING, OK, OK, OK],
    ),
    (
        "conversations:older",
        "get",
        lambda w: reverse("conversations:older", args=[w["conversation"].pk]),
        None,
        [LOGIN, OK, MISSING, OK, OK, OK],
    ),
    (
        "conversations:send",
        "post",
        lambda w: reverse("conversations:send", args=[w["conversation"].pk]),
        lambda w: {"identity": w["identity"].pk, "body": "hi"},
        [LOGIN, REDIRECT, MISSING, REDIRECT, REDIRECT, REDIRECT],
    ),
    (
        "conversations:comment",
        "post",
        lambda w: reverse("conversations:comment", args=[w["conversation"].pk]),
        lambda w: {"body": "note"},
        [LOGIN, REDIRECT, MISSING, REDIRECT, REDIRECT, REDIRECT],
    ),
    (
        "conversations:assign",
        "post",
        lambda w: reverse("conversations:assign", args=[w["conversation"].pk]),
        lambda w: {"assignee": ""},
        [LOGIN, REDIRECT, MISSING, REDIRECT, REDIRECT, REDIRECT],
    ),
    (
        "conversations:close",
        "post",
        lambda w: reverse("conversations:close", args=[w["conversation"].pk]),
        None,
        [LOGIN, REDIRECT, MISSING, REDIRECT, REDIRECT, REDIRECT],
    ),
    (
        "conversations:reopen",
        "post",
        lambda w: reverse("conversations:reopen", args=[w["conversation"].pk]),
        None,
        [LOGIN, REDIRECT, MISSING, REDIRECT, REDIRECT, REDIRECT],
    ),
    (
        "conversations:retry",
        "post",
        lambda w: reverse("conversations:retry", args=[w["message"].pk]),
        None,
        [LOGIN, FORBIDDEN, MISSING, FORBIDDEN, FORBIDDEN, FORBIDDEN],
    ),  # only failed messages can be retried
    (
        "conversations:attachment",
        "get",
        lambda w: reverse("conversations:attachment", args=[w["attachment"].pk]),
        None,
        [LOGIN, OK, MISSING, OK, OK, OK],
    ),
    (
        "conversations:attachment_file",
        "get",
        lambda w: reverse("conversations:attachment_file", args=[w["attachment"].pk]),
        None,
        [LOGIN, OK, MISSING, OK, OK, OK],
    ),
    (
        "conversations:attachment_thumbnail",
        "get",
        lambda w: reverse("conversations:attachment_thumbnail", args=[w["attachment"].pk]),
        None,
        [LOGIN, OK, MISSING, OK, OK, OK],
    ),
    (
        "conversations:attachment_retry",
        "post",
        lambda w: reverse("conversations:attachment_retry", args=[w["attachment"].pk]),
        None,
        [LOGIN, REDIRECT, MISSING, REDIRECT, REDIRECT, REDIRECT],
    ),  # a stored file is not downloaded again
    (
        "conversations:contact",
        "get",
        lambda w: reverse("conversations:contact", args=[w["contact"].pk]),
        None,
        [LOGIN, REDIRECT, MISSING, REDIRECT, REDIRECT, REDIRECT],
    ),
    ("contacts:list", "get", lambda w: reverse("contacts:list"), None, [LOGIN, FORBIDDEN, FORBIDDEN, OK, OK, OK]),
    (
        "contacts:detail",
        "get",
        lambda w: reverse("contacts:detail", args=[w["contact"].pk]),
        None,
        [LOGIN, FORBIDDEN, FORBIDDEN, OK, OK, OK],
    ),
    (
        "contacts:edit",
        "post",
        lambda w: reverse("contacts:edit", args=[w["contact"].pk]),
        lambda w: {"name": "New"},
        [LOGIN, REDIRECT, MISSING, REDIRECT, REDIRECT, REDIRECT],
    ),
    (
        "contacts:main_channel",
        "post",
        lambda w: reverse("contacts:main_channel", args=[w["contact"].pk]),
        lambda w: {"identity": w["identity"].pk},
        [LOGIN, REDIRECT, MISSING, REDIRECT, REDIRECT, REDIRECT],
    ),
    (
        "merging:unmerge",
        "get",
        lambda w: reverse("merging:unmerge", args=[w["merged"].pk]),
        None,
        [LOGIN, FORBIDDEN, FORBIDDEN, OK, OK, OK],
    ),
    (
        "merging:unmerge",
        "post",
        lambda w: reverse("merging:unmerge", args=[w["merged"].pk]),
        lambda w: {},
        [LOGIN, FORBIDDEN, FORBIDDEN, OK, OK, OK],
    ),  # no profile picked: the dialog again, nothing done
    (
        "merging:dialog",
        "get",
        lambda w: reverse("merging:dialog") + f"?target={w['contact'].pk}&source={w['other'].pk}",
        None,
        [LOGIN, FORBIDDEN, FORBIDDEN, OK, OK, OK],
    ),
    (
        "merging:dialog",
        "get",
        lambda w: reverse("merging:dialog") + f"?suggestion={w['suggestion'].pk}",
        None,
        [LOGIN, OK, MISSING, OK, OK, OK],
    ),
    (
        "merging:dialog",
        "post",
        lambda w: reverse("merging:dialog"),
        lambda w: {"target": w["contact"].pk},
        [LOGIN, FORBIDDEN, FORBIDDEN, OK, OK, OK],
    ),  # incomplete: the dialog says what is missing
    (
        "merging:search",
        "get",
        lambda w: reverse("merging:search") + f"?target={w['contact'].pk}&q=sh",
        None,
        [LOGIN, OK, MISSING, OK, OK, OK],
    ),
    (
        "merging:dismiss",
        "post",
        lambda w: reverse("merging:dismiss", args=[w["suggestion"].pk]),
        None,
        [LOGIN, REDIRECT, MISSING, REDIRECT, REDIRECT, REDIRECT],
    ),
    (
        "merging:pick",
        "get",
        lambda w: reverse("merging:pick", args=[w["contact"].pk]),
        None,
        [LOGIN, FORBIDDEN, FORBIDDEN, OK, OK, OK],
    ),
    (
        "merging:undo",
        "post",
        lambda w: reverse(
            "merging:undo",
            args=[MergeRecord.objects.filter(action="merge", target=w["merged"]).latest("created_at").pk],
        ),
        None,
        [LOGIN, FORBIDDEN, MISSING, REDIRECT, OK, OK],
    ),  # the manager undoes it; later roles see the confirmation saying it was already undone
    (
        "merging:backfill",
        "post",
        lambda w: reverse("merging:backfill"),
        None,
        [LOGIN, FORBIDDEN, FORBIDDEN, REDIRECT, REDIRECT, REDIRECT],
    ),
    (
        "channels:access_list",
        "get",
        lambda w: reverse("channels:access_list"),
        None,
        [LOGIN, FORBIDDEN, FORBIDDEN, OK, OK, OK],
    ),
    (
        "channels:inbound_health",
        "get",
        lambda w: reverse("channels:inbound_health"),
        None,
        [LOGIN, FORBIDDEN, FORBIDDEN, OK, OK, OK],
    ),
    (
        "channels:access",
        "get",
        lambda w: reverse("channels:access", args=[w["identity"].channel_id]),
        None,
        [LOGIN, FORBIDDEN, FORBIDDEN, OK, OK, OK],
    ),
    (
        "channels:access",
        "post",
        lambda w: reverse("channels:access", args=[w["identity"].channel_id]),
        lambda w: {"agents": [], "teams": []},
        [LOGIN, FORBIDDEN, FORBIDDEN, REDIRECT, REDIRECT, REDIRECT],
    ),
    ("workflows:list", "get", lambda w: reverse("workflows:list"), None, [LOGIN, FORBIDDEN, FORBIDDEN, OK, OK, OK]),
    ("workflows:new", "get", lambda w: reverse("workflows:new"), None, [LOGIN, FORBIDDEN, FORBIDDEN, OK, OK, OK]),
    (
        "workflows:edit",
        "get",
        lambda w: reverse("workflows:edit", args=[w["workflow"].pk]),
        None,
        [LOGIN, FORBIDDEN, FORBIDDEN, OK, OK, OK],
    ),
    (
        "workflows:step",
        "post",
        lambda w: reverse("workflows:step", args=[w["workflow"].pk]),
        lambda w: {"action": "add", "path": "[]", "step_type": "close"},
        [LOGIN, FORBIDDEN, FORBIDDEN, REDIRECT, REDIRECT, REDIRECT],
    ),
    (
        "availability",
        "post",
        lambda w: reverse("availability"),
        lambda w: {"available": "1"},
        [LOGIN, REDIRECT, REDIRECT, REDIRECT, REDIRECT, REDIRECT],
    ),
    ("admin:index", "get", lambda w: reverse("admin:index"), None, [LOGIN, LOGIN, LOGIN, LOGIN, LOGIN, OK]),
    ("logout", "post", lambda w: reverse("logout"), None, [LOGIN] * 6),
    ("login", "get", lambda w: reverse("login"), None, [OK] * 6),
]
# Public by design, authenticated by platform signatures or widget session tokens (tested elsewhere).
PUBLIC = {
    "inbound:webhook",
    "inbound:widget_js",
    "inbound:widget_demo",
    "inbound:widget_config",
    "inbound:widget_sessions",
    "inbound:widget_messages",
    "inbound:widget_seen",
    "inbound:widget_file",  # a signed per-visitor link (tests/conversations/test_media_outbound.py)
    "set_language",
}
TAKES_GET_AND_POST = {
    "channels:access",
    "logout",
    "login",
    "merging:dialog",
    "merging:unmerge",
    "workflows:new",
    "workflows:edit",
    "admin:index",
}
WRONG_METHOD = [
    (name, "get" if method == "post" else "post") for name, method, *_ in MATRIX if name not in TAKES_GET_AND_POST
]


def build_world(whatsapp, webchat, manager) -> dict:
    """One row of every kind the routes take: a conversation with an image, a suggestion, a merge..."""
    message = inbound(whatsapp, "6281234567890", "halo", name="Sheena")
    contact = contact_of(message)
    other = contact_of(inbound(webchat, "w1", "hi", name="Sheena Web", phone="081234567890"))
    merged = contact_of(inbound(whatsapp, "6289999999999", "x", name="M1"))
    contact_merge(actor=manager, target=merged, source=contact_of(inbound(whatsapp, "6288888888888", "y")))
    (attachment,) = attachments_store(
        message=message, items=[{"kind": "image", "ref": "i"}], contents={"i": jpeg_bytes((400, 400))}
    )
    thumbnail_make(attachment=attachment)
    return {
        "attachment": attachment,
        "conversation": message.conversation,
        "message": message,
        "contact": contact,
        "other": other,
        "identity": contact.identities.get(),
        "merged": merged,
        "suggestion": MergeSuggestion.objects.get(status="open"),
        "workflow": Workflow.objects.create(name="W", is_active=False),
    }


# The world and every role's user, built once for this module's ~100 tests (see module_db); each test
# gets copies, as Django's setUpTestData gives each test copies of its objects.
@pytest.fixture(scope="module")
def built_once(module_db):
    cast = make_cast()
    return {"cast": cast, "world": build_world(cast["whatsapp"], cast["webchat"], cast["manager"])}


@pytest.fixture
def world(built_once):
    return copy.deepcopy(built_once["world"])


@pytest.fixture
def media_root(settings, module_db):
    """The world's image is stored once, in the module's directory."""
    settings.MEDIA_ROOT = str(module_db)
    return module_db


def _copy_of(name):
    @pytest.fixture(name=name)
    def fixture(built_once):
        return copy.deepcopy(built_once["cast"][name])

    return fixture


# The role and channel fixtures of tests/conftest.py, answered from the cast built once.
owner, manager, agent, agent_without_access, admin_user = map(_copy_of, ROLE_USERS)
whatsapp, telegram, email_channel, webchat = map(_copy_of, TEST_CHANNELS)


def _outcome(response):
    if response.status_code == 302 and "login" in response.url:
        return LOGIN
    return response.status_code


@pytest.mark.parametrize(
    "name,method,url,data,expected", [pytest.param(*row, id=f"{row[1].upper()} {row[0]}") for row in MATRIX]
)
def test_permission_row(request, world, name, method, url, data, expected):
    """One row of the table: the same request as each kind of user (a fresh session each)."""
    seen = {}
    for role in ROLES:
        client = Client()
        if role != "anonymous":
            client.force_login(request.getfixturevalue(role))
        seen[role] = _outcome(getattr(client, method)(url(world), data(world) if data else None))
    assert seen == dict(zip(ROLES, expected, strict=True))


@pytest.mark.parametrize("name,wrong", WRONG_METHOD)
def test_wrong_method_is_refused(client, world, manager, name, wrong):
    client.force_login(manager)
    url = next(u for n, m, u, *_ in MATRIX if n == name)
    assert getattr(client, wrong)(url(world)).status_code == 405


@pytest.mark.parametrize("name,url,data", [(n, u, d) for n, m, u, d, _ in MATRIX if m == "post" and n != "logout"])
def test_csrf_is_enforced_on_every_form(world, manager, name, url, data):
    client = Client(enforce_csrf_checks=True)
    client.force_login(manager)
    assert client.post(url(world), data(world) if data else None).status_code == 403


def _route_names(patterns, namespace=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            if pattern.namespace == "admin":
                continue
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from _route_names(pattern.url_patterns, inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield namespace + pattern.name


def test_every_route_is_in_the_matrix_or_public_by_design():
    covered = {name for name, *_ in MATRIX} | PUBLIC
    assert set(_route_names(get_resolver().url_patterns)) - covered == set()
