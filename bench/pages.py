"""Server time and SQL query count of the main pages, measured in-process with Django's test client."""

import statistics
import time

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from config.workspace.models import Role, User
from contacts.models import Contact
from conversations.models import Conversation
from merging.models import MergeSuggestion

RUNS = 25


def _manager() -> User:
    user, _ = User.objects.get_or_create(username="bench-manager", defaults={"role": Role.MANAGER})
    return user


def page_urls() -> dict[str, str]:
    # The same shape of conversation at every size: a generated contact with an open merge suggestion.
    suggested = (
        MergeSuggestion.objects.filter(status="open").order_by("id").values_list("contact_a_id", flat=True)[:200]
    )
    conversation = (
        Conversation.objects.filter(
            status="open", contact_id__in=list(suggested), contact__name__startswith="Customer "
        )
        .order_by("id")
        .first()
    )
    contact = Contact.objects.filter(root__isnull=True, keys__kind="email").order_by("id")[5]
    email = contact.keys.get(kind="email").value
    return {
        "inbox list": "/inbox/",
        "conversation timeline": f"/inbox/c/{conversation.pk}/",
        "contact search: phone prefix": "/contacts/?q=0812-0000-01",
        "contact search: e-mail": f"/contacts/?q={email}",
        "contact search: name prefix": "/contacts/?q=Customer 42",
        "contacts list": "/contacts/",
        "contact detail": f"/contacts/{contact.pk}/",
        "dashboard": "/dashboard/",
    }


def measure_pages() -> dict[str, dict]:
    client = Client()
    client.force_login(_manager())
    results = {}
    for name, url in page_urls().items():
        client.get(url)  # warm caches
        timings, queries = [], 0
        for _ in range(RUNS):
            with CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                response = client.get(url)
                timings.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, (url, response.status_code)
            queries = len(captured)
        timings.sort()
        results[name] = {
            "p50_ms": statistics.median(timings),
            "p95_ms": timings[int(len(timings) * 0.95) - 1],
            "queries": queries,
        }
    return results
