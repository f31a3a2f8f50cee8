import pytest
from django.core.cache import cache
from django.db import transaction
from django.db.backends.postgresql.operations import DatabaseOperations
from django.test import override_settings

from config.workspace.models import Workspace
from tests.factories import make_role_user, make_test_channel
from tests.servers import stop_in_background


def _delete_flush(self, style, tables, *, reset_sequences=False, allow_cascade=False):
    """Empty the tables with DELETE instead of TRUNCATE after each transactional test.

    Same end state (every table empty, sequences untouched as with Django's TRUNCATE), but on tables
    holding a few rows DELETE takes ~0.05 s where TRUNCATE of all ~40 tables takes 0.5-1.4 s here.
    Django runs the flush in one transaction and its foreign keys are DEFERRABLE, so order is free.
    """
    if reset_sequences or allow_cascade or not tables:
        return _truncate_flush(self, style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade)
    return ["SET CONSTRAINTS ALL DEFERRED;"] + [f"DELETE FROM {self.quote_name(table)};" for table in tables]


_truncate_flush = DatabaseOperations.sql_flush


@pytest.fixture(scope="session", autouse=True)
def _fast_flush():
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(DatabaseOperations, "sql_flush", _delete_flush)
        yield


# The settings every test runs with.
TEST_SETTINGS = {
    "DEFAULT_PHONE_REGION": "ID",
    "PASSWORD_HASHERS": ["django.contrib.auth.hashers.MD5PasswordHasher"],  # speed only; never in production
    # Profile look-ups of tests without the `platform` server end at a closed loopback port, never on the internet.
    "META_GRAPH_API_BASE": "http://127.0.0.1:9",
}


@pytest.fixture(autouse=True)
def _workspace(db, settings, tmp_path):
    for name, value in TEST_SETTINGS.items():
        setattr(settings, name, value)
    cache.clear()
    settings.MEDIA_ROOT = tmp_path / "media"  # large inbound deliveries go to file storage
    Workspace.objects.get_or_create(id=1, defaults={"default_phone_region": "ID"})


@pytest.fixture(scope="module")
def module_db(django_db_setup, django_db_blocker, tmp_path_factory):
    """For data that a module's tests share, built once, as Django's TestCase.setUpTestData does: one
    transaction open around the module's tests, each test in a savepoint inside it (rolled back after
    the test as always), the whole rolled back after the module's last test.

    Build the data in a module-scoped fixture that depends on this one, and give tests fresh instances
    (fetched by id) from function-scoped fixtures, since a test may change the objects it gets. Only
    for tests that are not transactional. Yields the directory the data's files are stored in, which
    the module's `media_root` must give its tests.
    """
    media = tmp_path_factory.mktemp("media")
    with django_db_blocker.unblock(), override_settings(**TEST_SETTINGS, MEDIA_ROOT=str(media)):
        with transaction.atomic():
            Workspace.objects.get_or_create(id=1, defaults={"default_phone_region": "ID"})
            yield media
            transaction.set_rollback(True)


@pytest.fixture
def whatsapp(db):
    return make_test_channel("whatsapp")


@pytest.fixture
def telegram(db):
    return make_test_channel("telegram")


@pytest.fixture
def email_channel(db):
    return make_test_channel("email_channel")


@pytest.fixture
def webchat(db):
    return make_test_channel("webchat")


@pytest.fixture
def owner(db):
    return make_role_user("owner")


@pytest.fixture
def manager(db):
    return make_role_user("manager")


@pytest.fixture
def agent(db, whatsapp, telegram, email_channel, webchat):
    """An agent with access to every channel the tests create up front."""
    return make_role_user("agent", channels=(whatsapp, telegram, email_channel, webchat))


@pytest.fixture
def agent_without_access(db):
    return make_role_user("agent_without_access")


@pytest.fixture
def admin_user(db):
    return make_role_user("admin_user")


@pytest.fixture
def worker_env(media_root) -> dict:
    """Extra environment for the worker process (`tests.worker.run_worker`)."""
    return {"MEDIA_ROOT": str(media_root)}


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    """Files stored by the tests (and their workers) go to a temporary directory."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"


@pytest.fixture
def platform(worker_env, settings):
    """A real HTTP server on loopback answering like WhatsApp, Telegram and Meta; the worker sends there."""
    from tests.platform_server import start_platform_server

    state, server = start_platform_server()
    worker_env.update(
        WHATSAPP_API_BASE=state.url + "/v21.0", TELEGRAM_API_BASE=state.url, META_GRAPH_API_BASE=state.url
    )
    settings.META_GRAPH_API_BASE = state.url  # profile look-ups made while processing in the test process
    yield state
    stop_in_background(server)
