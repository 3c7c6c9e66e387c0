"""The terminal commands the README shows, run as written on an empty database."""

import re
import shlex
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from evactrack.access.models import ApiToken, Organization

pytestmark = pytest.mark.django_db

README = Path(__file__).resolve().parents[2] / "README.md"


def readme_manage_commands(name: str) -> list[list[str]]:
    """Every `./dev manage NAME …` the README shows, split as a shell would."""
    lines = re.findall(rf"`\./dev manage ({name} [^`]*)`", README.read_text())
    assert lines, f"the README shows no `./dev manage {name} …` command"
    return [shlex.split(line) for line in lines]


def test_the_readmes_token_example_works_on_a_fresh_database(capsys):
    for command in readme_manage_commands("organization"):
        call_command(*command)
    issue, token_list, revoke = readme_manage_commands("api_token")
    assert (issue[1], token_list[1], revoke[1]) == ("issue", "list", "revoke")
    call_command(*issue)
    token = ApiToken.objects.get()
    assert token.user.api_membership.organization.slug == "acme"
    call_command(*token_list)
    assert capsys.readouterr().out.count(token.prefix) == 2, "issue prints the key and list its prefix"
    call_command(*[token.prefix if word == "evt_XXXXXXXX" else word for word in revoke])
    assert ApiToken.objects.get().revoked_at is not None


def test_organization_create_and_list(capsys):
    call_command("organization", "create", "acme", "--name", "ACME relief")
    call_command("organization", "create", "un-ocha", "--name", "OCHA", "--kind", "un")
    call_command("organization", "list")
    out = capsys.readouterr().out
    assert "Created organization acme (ngo): ACME relief." in out
    assert re.search(r"acme\s+ngo\s+ACME relief", out) and re.search(r"un-ocha\s+un\s+OCHA", out)
    assert Organization.objects.get(slug="un-ocha").kind == "un"


def test_creating_the_same_organization_again_changes_nothing(capsys):
    call_command("organization", "create", "acme", "--name", "ACME relief")
    call_command("organization", "create", "acme", "--name", "ACME relief")
    assert Organization.objects.count() == 1
    assert "already exists" in capsys.readouterr().out


def test_an_existing_slug_with_another_name_is_refused():
    call_command("organization", "create", "acme", "--name", "ACME relief")
    with pytest.raises(CommandError, match="acme already exists as 'ACME relief'"):
        call_command("organization", "create", "acme", "--name", "Another name")
    assert Organization.objects.get().name == "ACME relief"


def test_an_invalid_slug_is_refused_naming_the_field():
    with pytest.raises(CommandError, match="slug"):
        call_command("organization", "create", "ACME relief", "--name", "ACME relief")
    assert not Organization.objects.exists()


@pytest.mark.parametrize("days", ["0", "-5"])
def test_a_token_of_zero_or_negative_days_is_refused(days):
    call_command("organization", "create", "acme", "--name", "ACME relief")
    with pytest.raises(CommandError, match="--days"):
        call_command("api_token", "issue", "--user", "u", "--organization", "acme", "--name", "n", "--days", days)
    assert not ApiToken.objects.exists()


def test_a_token_of_one_day_expires_tomorrow():
    import datetime

    from django.utils import timezone

    call_command("organization", "create", "acme", "--name", "ACME relief")
    call_command("api_token", "issue", "--user", "u", "--organization", "acme", "--name", "n", "--days", "1")
    lifetime = ApiToken.objects.get().expires_at - timezone.now()
    assert datetime.timedelta(hours=23) < lifetime <= datetime.timedelta(days=1)
