"""Fixtures for the admin tests: a logged-in coordinator and the data a page needs."""

import pytest


@pytest.fixture
def admin_client_logged_in(client, staff_user):
    client.force_login(staff_user)
    return client


@pytest.fixture(scope="session")
def ukrainian_catalog():
    """The Ukrainian catalog, compiled if the .po is newer than the .mo (the setup compiles it too)."""
    import shutil
    from pathlib import Path

    from django.conf import settings
    from django.core.management import call_command

    po = Path(settings.BASE_DIR) / "locale" / "uk" / "LC_MESSAGES" / "django.po"
    mo = po.with_suffix(".mo")
    if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
        if not shutil.which("msgfmt"):
            pytest.skip("GNU gettext's msgfmt is not installed, and the catalog is not compiled")
        call_command("compilemessages", locale=["uk"], ignore_patterns=[".venv", "var"], verbosity=0)
    return mo
