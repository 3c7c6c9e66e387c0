"""Fixtures for the admin tests: a logged-in coordinator and the data a page needs."""

import pytest


@pytest.fixture
def admin_client_logged_in(client, staff_user):
    client.force_login(staff_user)
    return client


@pytest.fixture(scope="session")
def ukrainian_catalog():
    """The Ukrainian catalog, compiled if the .po is newer than the .mo (as the setup does)."""
    import io
    from pathlib import Path

    from django.conf import settings
    from django.core.management import call_command

    po = Path(settings.BASE_DIR) / "locale" / "uk" / "LC_MESSAGES" / "django.po"
    call_command("compile_translations", stdout=io.StringIO())
    return po.with_suffix(".mo")
