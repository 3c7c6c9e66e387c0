"""Playwright driving Debian's chromium (/usr/bin/chromium) against pytest-django's live server.

No browser is downloaded: the test setup installs the Debian package `chromium` and the pip
package `playwright`; `playwright install` is never run.
"""

import os
import shutil

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PASSWORD = "a-long-test-password"


@pytest.fixture
def page(live_server, tmp_path):
    # Playwright's sync API runs an event loop in this thread; the test still needs the ORM
    # between browser steps (set up data, check results), which Django would refuse there.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            user_data_dir=str(tmp_path / "chromium-profile"),  # a fresh profile every test
            executable_path=CHROMIUM,
            headless=True,
            args=CHROMIUM_ARGS,
            locale="en-US",
            viewport={"width": 1400, "height": 1000},
        )
        context.set_default_timeout(15_000)
        page = context.new_page()
        page.base_url = live_server.url
        yield page
        context.close()
    os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


def log_in(page, username="coordinator", password=PASSWORD):
    page.goto(f"{page.base_url}/admin/login/?next=/admin/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("input[type=submit]")
    page.wait_for_url(f"{page.base_url}/admin/")
