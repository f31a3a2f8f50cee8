"""TOTP two-factor for staff on the admin (STAFF_TWO_FACTOR=True), and the admin as before when off."""

import pytest
from django.core.management import call_command
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from config.workspace.models import Role
from tests.factories import UserFactory

PASSWORD = "pw-for-tests-123"


@pytest.fixture
def root(db):
    return UserFactory(username="root", role=Role.OWNER, is_staff=True, is_superuser=True)


@pytest.fixture
def device(root):
    return TOTPDevice.objects.create(user=root, name="phone", confirmed=True)


@pytest.fixture
def two_factor(settings):
    settings.STAFF_TWO_FACTOR = True


def code(device) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):0{device.digits}d}"


def with_code(device, otp_token: str) -> dict:
    """The admin's two-factor form: the device (its select appears once the password is right) and the code."""
    return {"username": "root", "password": PASSWORD, "otp_device": device.persistent_id, "otp_token": otp_token}


def test_admin_needs_a_totp_code_when_two_factor_is_on(client, root, device, two_factor):
    response = client.post("/admin/login/", {"username": "root", "password": PASSWORD})
    assert response.status_code == 200 and "_auth_user_id" not in client.session
    response = client.post("/admin/login/", with_code(device, code(device)))
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200


def test_a_staff_password_login_elsewhere_does_not_open_the_admin(client, root, device, two_factor):
    assert client.post("/login/", {"username": "root", "password": PASSWORD}).status_code == 302
    response = client.get("/admin/")
    assert response.status_code == 302 and "/admin/login/" in response.url


def test_wrong_codes_count_against_the_login_limit(client, root, device, two_factor):
    for _ in range(5):
        client.post("/admin/login/", with_code(device, "000000"))
    response = client.post("/admin/login/", with_code(device, code(device)))
    assert b"Too many failed attempts" in response.content
    assert "_auth_user_id" not in client.session


def test_admin_logs_in_with_password_only_when_two_factor_is_off(client, root):
    assert client.post("/admin/login/", {"username": "root", "password": PASSWORD}).status_code == 302
    assert client.get("/admin/").status_code == 200


def test_totp_add_prints_an_authenticator_link(root, capsys):
    call_command("totp_add", "root")
    assert "otpauth://totp/" in capsys.readouterr().out
    assert TOTPDevice.objects.filter(user=root, confirmed=True).exists()
