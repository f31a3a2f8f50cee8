"""One login limiter for /login/ and /admin/login/: each bypass of the security issue, refused."""

import pytest

from config.workspace.models import Role
from tests.factories import UserFactory

PASSWORD = "pw-for-tests-123"


@pytest.fixture
def agent2(db):
    return UserFactory(username="agent2", role=Role.AGENT)


@pytest.fixture
def root(db):
    return UserFactory(username="root", role=Role.OWNER, is_staff=True, is_superuser=True)


def fail(client, username, url="/login/", **extra):
    return client.post(url, {"username": username, "password": "wrong"}, **extra)


def log_in(client, username, url="/login/", **extra):
    client.logout()
    return client.post(url, {"username": username, "password": PASSWORD}, **extra)


def logged_in(client) -> bool:
    return "_auth_user_id" in client.session


@pytest.mark.parametrize("variant", [" agent2", "agent2  ", "ａｇｅｎｔ２", "AGENT2", "\u00a0agent2"])
def test_username_variants_count_against_the_same_lock(client, agent2, variant):
    for _ in range(5):
        fail(client, variant)
    assert log_in(client, "agent2").status_code == 429
    assert not logged_in(client)


def test_full_width_username_is_refused_once_locked(client, agent2):
    for _ in range(5):
        fail(client, "agent2")
    response = client.post("/login/", {"username": "ａｇｅｎｔ２", "password": PASSWORD})
    assert response.status_code == 429
    assert not logged_in(client)


def test_admin_login_is_limited(client, root):
    for _ in range(5):
        fail(client, "root", url="/admin/login/")
    response = log_in(client, "root", url="/admin/login/")
    assert b"Too many failed attempts" in response.content
    assert not logged_in(client)


def test_admin_and_app_logins_share_one_count(client, root):
    for url in ("/admin/login/", "/login/", "/admin/login/", "/login/", "/admin/login/"):
        fail(client, " root", url=url)
    assert log_in(client, "root").status_code == 429
    assert b"Too many failed attempts" in log_in(client, "root", url="/admin/login/").content
    assert not logged_in(client)


def test_admin_login_works_with_the_right_password(client, root):
    response = log_in(client, "root", url="/admin/login/")
    assert response.status_code == 302
    assert logged_in(client)


def test_behind_a_trusted_proxy_one_attacker_does_not_lock_everyone_out(client, settings, agent2):
    settings.TRUSTED_PROXIES = ["127.0.0.1"]
    for number in range(25):
        fail(client, f"guess{number}", HTTP_X_FORWARDED_FOR="203.0.113.9")
    assert log_in(client, "agent2", HTTP_X_FORWARDED_FOR="198.51.100.7").status_code == 302
    assert logged_in(client)
    # The attacker's own address is locked.
    assert log_in(client, "agent2", HTTP_X_FORWARDED_FOR="203.0.113.9").status_code == 429


def test_a_forwarded_address_from_an_untrusted_peer_is_not_believed(client, settings, agent2):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    for number in range(20):
        fail(client, f"guess{number}", REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR=f"192.0.2.{number}")
    assert log_in(client, "agent2", REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR="192.0.2.99").status_code == 429


def test_a_client_cannot_spoof_its_address_through_a_trusted_proxy(client, settings, agent2):
    """The proxy appends the peer it saw; what the client wrote to the left of it is ignored."""
    settings.TRUSTED_PROXIES = ["127.0.0.1"]
    for number in range(20):
        fail(client, f"guess{number}", HTTP_X_FORWARDED_FOR=f"192.0.2.{number}, 203.0.113.9")
    assert log_in(client, "agent2", HTTP_X_FORWARDED_FOR="192.0.2.200, 203.0.113.9").status_code == 429


def test_a_locked_owner_still_logs_in_from_an_address_that_worked_before(client, settings, owner):
    settings.TRUSTED_PROXIES = ["127.0.0.1"]
    home = {"HTTP_X_FORWARDED_FOR": "198.51.100.7"}
    assert log_in(client, "olivia", **home).status_code == 302
    client.logout()
    # An attacker keeps the owner's username locked from several addresses, again and again.
    for number in range(10):
        fail(client, "olivia", HTTP_X_FORWARDED_FOR=f"203.0.113.{number}")
    assert log_in(client, "olivia", HTTP_X_FORWARDED_FOR="203.0.113.50").status_code == 429
    assert log_in(client, "olivia", **home).status_code == 302
    assert logged_in(client)


def test_a_known_address_of_one_user_does_not_unlock_another(client, settings, owner, agent2):
    settings.TRUSTED_PROXIES = ["127.0.0.1"]
    assert log_in(client, "olivia", HTTP_X_FORWARDED_FOR="198.51.100.7").status_code == 302
    client.logout()
    for _ in range(5):
        fail(client, "agent2", HTTP_X_FORWARDED_FOR="203.0.113.1")
    assert log_in(client, "agent2", HTTP_X_FORWARDED_FOR="198.51.100.7").status_code == 429
