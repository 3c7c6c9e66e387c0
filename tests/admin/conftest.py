"""Fixtures for the admin tests: a logged-in coordinator and the data a page needs."""

import pytest


@pytest.fixture
def admin_client_logged_in(client, staff_user):
    client.force_login(staff_user)
    return client
