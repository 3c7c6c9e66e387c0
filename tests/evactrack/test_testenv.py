"""A test run keeps its files (uploads, queue, static, secret key) out of the repository's var/."""

from pathlib import Path

from django.conf import settings

REPOSITORY_VAR = Path(__file__).resolve().parents[2] / "var"


def test_the_test_run_has_its_own_data_folder():
    var_dir = Path(settings.VAR_DIR).resolve()
    assert not var_dir.is_relative_to(REPOSITORY_VAR.resolve()), var_dir
    for folder in (settings.MEDIA_ROOT, settings.STATIC_ROOT, settings.CELERY_QUEUE_DIR):
        assert Path(folder).resolve().is_relative_to(var_dir), folder


def test_even_when_the_caller_points_at_the_repositorys_var():
    """`./dev test` exports EVACTRACK_VAR_DIR=var/ for the commands it runs: tests override it."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "EVACTRACK_VAR_DIR": str(REPOSITORY_VAR)}
    code = "import tests.testenv, os; print(os.environ['EVACTRACK_VAR_DIR'])"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPOSITORY_VAR.parent, env=env, capture_output=True, text=True, check=True
    )
    assert Path(result.stdout.strip()) != REPOSITORY_VAR
