"""Browser tests: Playwright drives Debian's Chromium against pytest-django's live server."""

import os

import pytest
from django.conf import settings
from django.test import Client

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/bin/chromium"


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"],
    }


@pytest.fixture
def login(page, live_server):
    """Log a user in: a session made on the server (as Django's test client does) and its cookie given
    to the browser, without a page load. The page is where it was: the test goes where it needs to.
    Logging in through the form is `login_through_the_form` (a refused login is tested without a browser)."""

    def log_in(user):
        client = Client()
        client.force_login(user)
        cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
        page.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}])
        return page

    return log_in


@pytest.fixture
def login_through_the_form(page, live_server):
    def log_in(user, password="pw-for-tests-123"):
        page.goto(f"{live_server.url}/login/")
        page.fill("#id_username", user.username)
        page.fill("#id_password", password)
        page.click("button[type=submit]")
        # Logged in once the browser has left the login page (a refused login stays there and fails
        # here); waiting for the load event, not for network idle, which the inbox's poll delays.
        page.wait_for_url(lambda url: "/login/" not in url)
        return page

    return log_in
