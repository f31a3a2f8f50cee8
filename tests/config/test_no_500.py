"""No route answers 500, whatever a client sends.

Every URL pattern of the resolver (so a new route is walked without touching this file), as each
role and anonymous: first with no parameters, which records every query and form parameter the
view reads (through `QueryDict`), then with each hostile value in all of them at once — garbage,
a huge number, a negative one, a non-ASCII digit ("²", a digit to `str.isdigit()` but not to
`int()`), a NUL, and an empty value — in the query string and in the form body. The answer must be
a 4xx or a normal page (2xx/3xx). URL path arguments get a real row's id, a huge one and garbage.
"""

import uuid

import pytest
from django.http import QueryDict
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from channels.models import Channel, ChannelKind
from tests.config.test_permission_matrix import build_world

ROLES = ["anonymous", "owner", "manager", "agent", "agent_without_access"]
HOSTILE = ["garbage", "9" * 40, "-1", "²", "1\x00", "", "１２"]
HUGE = "9" * 30
# Django's admin is walked for its login page only (its own routes are Django's, tested upstream;
# a superuser's admin pages are opened by test_foundation.test_every_admin_page_opens_for_a_superuser).
SKIP_PREFIXES = ("admin/", "i18n/")


def walk(patterns, prefix=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from walk(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry


def routes() -> list[str]:
    found = [route for route, _ in walk(get_resolver().url_patterns)]
    return [r for r in found if not r.startswith(SKIP_PREFIXES)] + ["admin/login/", "i18n/setlang/"]


ID_FOR = {
    "conversation_id": lambda w: w["conversation"].pk,
    "contact_id": lambda w: w["contact"].pk,
    "message_id": lambda w: w["message"].pk,
    "attachment_id": lambda w: w["attachment"].pk,
    "suggestion_id": lambda w: w["suggestion"].pk,
    "workflow_id": lambda w: w["workflow"].pk,
    "channel_id": lambda w: w["conversation"].channel_id,
}


def fill(route: str, w: dict, how: str) -> str:
    """The route with each <converter:name> replaced: a real row ('real'), a huge id, or garbage."""
    out, rest = "", route
    while "<" in rest:
        head, _, tail = rest.partition("<")
        spec, _, rest = tail.partition(">")
        converter, _, name = spec.rpartition(":")
        if converter == "uuid":
            value = str(w["webchat"].public_id) if how == "real" else str(uuid.uuid4())
        elif converter == "int":
            value = str(ID_FOR.get(name, lambda w: 1)(w)) if how == "real" else HUGE
        else:
            value = "garbage\u00b2"
        out += head + value
    return "/" + out + rest


class Recorder:
    """Records the names of parameters views read from request.GET / request.POST."""

    def __init__(self, monkeypatch):
        self.names: set[str] = set()
        for method in ("get", "getlist", "__getitem__", "__contains__"):
            original = getattr(QueryDict, method)
            monkeypatch.setattr(QueryDict, method, self._wrap(original))

    def _wrap(self, original):
        def recording(querydict, key, *args, **kwargs):
            if isinstance(key, str):
                self.names.add(key)
            return original(querydict, key, *args, **kwargs)

        return recording


SENT = {"requests": 0}


def check(client, method: str, url: str, data: dict, failures: list, label: str) -> int:
    SENT["requests"] += 1
    try:
        response = getattr(client, method)(url, data) if method == "get" else client.post(url, data)
    except Exception as error:  # the test client re-raises a view's exception: that is a 500
        failures.append(f"{label} {method.upper()} {url} {data!r}: {type(error).__name__}: {error}"[:300])
        return 500
    if response.status_code >= 500:
        failures.append(f"{label} {method.upper()} {url} {data!r}: {response.status_code}")
    return response.status_code


@pytest.fixture
def world(whatsapp, webchat, manager):
    return build_world(whatsapp, webchat, manager)


@pytest.fixture
def everything(world, webchat):
    channel = Channel.objects.filter(kind=ChannelKind.WEBCHAT).first()
    started = Client().post(reverse("inbound:widget_sessions", args=[channel.public_id]), "{}", "application/json")
    return {**world, "webchat": channel, "visitor_token": started.json()["token"]}


@pytest.mark.parametrize("role", ROLES)
def test_no_route_answers_500_to_hostile_parameters(request, role, everything, monkeypatch):
    recorder = Recorder(monkeypatch)
    # Every request also carries a web chat visitor's token, so the widget's endpoints read their parameters.
    client = Client(headers={"Authorization": f"Bearer {everything['visitor_token']}"})
    if role != "anonymous":
        client.force_login(request.getfixturevalue(role))
    failures: list[str] = []
    for route in routes():
        for how in ("real", "huge", "garbage"):
            url = fill(route, everything, how)
            if how != "real" and url == fill(route, everything, "real"):
                continue
            for method in ("get", "post"):
                recorder.names.clear()
                status = check(client, method, url, {}, failures, role)
                names = set(recorder.names) - {"csrfmiddlewaretoken"}
                if how != "real" or not names or status == 405:
                    continue
                for value in HOSTILE:
                    check(client, method, url, dict.fromkeys(names, value), failures, role)
                    # Views reached only with one parameter set may read more: one more round.
                    more = set(recorder.names) - names - {"csrfmiddlewaretoken"}
                    if more:
                        check(client, method, url, dict.fromkeys(names | more, value), failures, role)
            if role != "anonymous":
                client.force_login(request.getfixturevalue(role))  # a route may have logged us out
    print(f"{role}: {len(routes())} routes, {SENT['requests']} requests so far")  # figures for docs/reliability.md
    assert not failures, "\n".join(failures)


def test_the_walk_covers_every_route():
    walked = routes()
    assert len(walked) > 40
    for must in ("webchat/<uuid:public_id>/messages", "inbox/c/<int:conversation_id>/older/", "merge/search/"):
        assert must in walked
