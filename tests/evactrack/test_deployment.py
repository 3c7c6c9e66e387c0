"""The deployment files: docker-compose.yml parses and has every service the design needs."""

import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.compose
def test_docker_compose_config_is_valid():
    result = subprocess.run(
        ["docker-compose", "-f", "docker-compose.yml", "--env-file", ".env.example", "config", "--services"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert set(result.stdout.split()) == {"postgres", "redis", "migrate", "web", "worker", "beat"}


def test_redis_is_configured_as_a_durable_broker():
    import yaml

    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    command = compose["services"]["redis"]["command"]
    assert "--appendonly" in command and command[command.index("--appendonly") + 1] == "yes"
    assert command[command.index("--maxmemory-policy") + 1] == "noeviction"
    for service in ("postgres", "redis", "web", "worker"):
        assert "healthcheck" in compose["services"][service], service


def test_the_application_starts_only_after_the_migrate_job_has_finished():
    import yaml

    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    for service in ("web", "worker", "beat"):
        depends_on = compose["services"][service]["depends_on"]
        assert depends_on["migrate"] == {"condition": "service_completed_successfully"}, service
        assert depends_on["postgres"] == {"condition": "service_healthy"}, service
    assert "migrate" in compose["services"]["migrate"]["command"][-1]


def test_the_readme_says_how_to_create_the_first_admin_login_in_docker_compose():
    assert "docker-compose run --rm web python manage.py createsuperuser" in (ROOT / "README.md").read_text()
