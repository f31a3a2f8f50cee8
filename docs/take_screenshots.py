"""Take the README's screenshots: a fresh demo workspace (SQLite in a temp dir), a real server,
and Debian's Chromium driven by Playwright. Run with `make screenshots`."""

import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "screenshots"
PORT = 8765
BASE = f"http://127.0.0.1:{PORT}"
PASSWORD = "demo-pass-2026"


def manage(*args, env):
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)


def wait_for_server():
    for _ in range(50):
        try:
            urllib.request.urlopen(BASE + "/login/")
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("server did not start")


def shoot(browser, username, steps, viewport=(1400, 860)):
    page = browser.new_page(viewport={"width": viewport[0], "height": viewport[1]})
    page.goto(BASE + "/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")
    for name, action in steps:
        action(page)
        page.wait_for_timeout(400)
        page.screenshot(path=str(OUT / f"{name}.png"))
        print("wrote", OUT / f"{name}.png")
    page.close()


SUGGESTED_CONVERSATION = """
from conversations.models import Conversation
from merging.models import MergeSuggestion
from django.db.models import Q
for s in MergeSuggestion.objects.filter(status="open").order_by("id"):
    c = Conversation.objects.filter(contact_id=s.contact_b_id, channel__kind="webchat").first()
    if c:
        print(c.pk)
        break
"""


def suggested_conversation_id(env) -> str:
    command = [sys.executable, "manage.py", "shell", "-v", "0", "-c", SUGGESTED_CONVERSATION]
    return subprocess.run(command, cwd=ROOT, env=env, check=True, capture_output=True, text=True).stdout.split()[-1]


def open_suggested_conversation(conversation_id):
    def action(page):
        page.goto(f"{BASE}/inbox/c/{conversation_id}/")
        page.get_by_role("tab", name="Channels").click()

    return action


def open_merge_dialog(page):
    page.get_by_role("button", name="Review & merge").first.click()
    page.locator("dialog#dialog table.compare").wait_for()


def tick_two_and_merge(page):
    page.goto(BASE + "/contacts/?q=Santoso")
    boxes = page.locator("input[name=pick]")
    boxes.nth(0).check()
    boxes.nth(1).check()
    page.locator("#merge-picked").click()
    page.locator("dialog#dialog table.compare").wait_for()


def merge_then_open_unmerge(page):
    page.locator("dialog#dialog").get_by_role("button", name="Merge contact").click()
    page.locator("dialog#dialog").wait_for(state="hidden")
    page.goto(BASE + "/contacts/?q=Santoso")
    row = page.locator("tr:has(.merged-icon)").first
    row.locator("summary").click()
    row.get_by_role("button", name="Unmerge contact").click()
    page.locator("dialog#dialog fieldset").wait_for()


def widget_with_prechat(page):
    page.goto(BASE + "/widget-demo/")
    page.locator("#mergeinbox-widget").get_by_role("button", name="Chat with us").click()
    page.locator("#mergeinbox-widget").get_by_label("E-mail *").wait_for()


def workflow_builder(page):
    page.goto(BASE + "/workflows/new/")
    page.fill("#id_name", "Route new conversations")
    page.get_by_role("button", name="Save").click()
    page.wait_for_load_state("networkidle")
    for step_type in ("ask", "branch", "auto_assign"):
        page.locator("form.add-step").last.locator("select").select_option(step_type)
        page.locator("form.add-step").last.get_by_role("button", name="Add").click()
        page.wait_for_load_state("networkidle")
    form = page.locator("form.step-form").first
    form.locator("textarea[name=prompt]").fill("Hi! What is your e-mail, so we can find your orders?")
    form.get_by_role("button", name="Save step").click()
    page.wait_for_load_state("networkidle")
    page.locator("#steps").scroll_into_view_if_needed()


def indonesian_dashboard(page):
    page.goto(BASE + "/dashboard/")
    page.select_option("#language", "id")
    page.wait_for_load_state("networkidle")


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp}/demo.sqlite3", "DEBUG": "True"}
        manage("migrate", "--no-input", env=env)
        manage("demo", env=env)
        server = subprocess.Popen(
            [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{PORT}"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            wait_for_server()
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path="/usr/bin/chromium",
                    args=[
                        "--no-sandbox",
                        "--disable-gpu",
                        "--disable-background-networking",
                        "--disable-component-update",
                    ],
                )
                shoot(
                    browser,
                    "manager",
                    [
                        ("dashboard", lambda p: p.goto(BASE + "/dashboard/")),
                        ("contacts", lambda p: p.goto(BASE + "/contacts/")),
                        ("manual-merge-dialog", tick_two_and_merge),
                        ("unmerge-dialog", merge_then_open_unmerge),
                    ],
                )
                conversation_id = suggested_conversation_id(env)
                shoot(
                    browser,
                    "agent",
                    [
                        ("inbox-channels-tab-suggestion", open_suggested_conversation(conversation_id)),
                        ("merge-dialog-from-suggestion", open_merge_dialog),
                    ],
                )
                shoot(browser, "agent", [("inbox-phone", lambda p: p.goto(BASE + "/inbox/"))], viewport=(390, 844))
                shoot(
                    browser,
                    "owner",
                    [
                        ("dashboard-indonesian", indonesian_dashboard),
                    ],
                )
                shoot(browser, "manager", [("workflow-builder", workflow_builder)])
                visitor = browser.new_page(viewport={"width": 1000, "height": 700})
                widget_with_prechat(visitor)
                visitor.screenshot(path=str(OUT / "widget-prechat.png"))
                print("wrote", OUT / "widget-prechat.png")
                browser.close()
        finally:
            server.terminate()
            server.wait()


if __name__ == "__main__":
    main()
