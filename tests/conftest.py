import pytest
from guardian.shortcuts import assign_perm

from channels.models import ChannelKind
from config.models import Role, Workspace
from tests.factories import UserFactory, make_channel


@pytest.fixture(autouse=True)
def _workspace(db, settings):
    settings.DEFAULT_PHONE_REGION = "ID"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed only; never in production
    Workspace.objects.get_or_create(id=1, defaults={"default_phone_region": "ID"})


@pytest.fixture
def whatsapp(db):
    return make_channel(ChannelKind.WHATSAPP)


@pytest.fixture
def telegram(db):
    return make_channel(ChannelKind.TELEGRAM)


@pytest.fixture
def email_channel(db):
    return make_channel(ChannelKind.EMAIL, settings={"address": "support@shop.example"})


@pytest.fixture
def webchat(db):
    return make_channel(ChannelKind.WEBCHAT)


@pytest.fixture
def owner(db):
    return UserFactory(username="olivia", role=Role.OWNER)


@pytest.fixture
def manager(db):
    return UserFactory(username="marco", role=Role.MANAGER)


@pytest.fixture
def agent(db, whatsapp, telegram, email_channel, webchat):
    """An agent with access to every channel the tests create up front."""
    user = UserFactory(username="ayu", role=Role.AGENT)
    for channel in (whatsapp, telegram, email_channel, webchat):
        assign_perm("channels.access_channel", user, channel)
    return user


@pytest.fixture
def agent_without_access(db):
    return UserFactory(username="budi", role=Role.AGENT)


@pytest.fixture
def admin_user(db):
    return UserFactory(username="root", role=Role.OWNER, is_staff=True, is_superuser=True)


@pytest.fixture
def worker_env() -> dict:
    """Extra environment for the worker process (`tests.worker.run_worker`)."""
    return {}


@pytest.fixture
def platform(worker_env):
    """A real HTTP server on loopback answering like WhatsApp, Telegram and Meta; the worker sends there."""
    from tests.platform_server import start_platform_server

    state, server = start_platform_server()
    worker_env.update(
        WHATSAPP_API_BASE=state.url + "/v21.0", TELEGRAM_API_BASE=state.url, META_GRAPH_API_BASE=state.url
    )
    yield state
    server.shutdown()
