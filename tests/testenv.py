"""Loaded by pytest before Django starts (`-p tests.testenv`): the environment of a test run.

Every file the application writes (uploads awaiting import, the filesystem queue, static
files, the secret key, the SQLite file of a subprocess) goes to a fresh folder removed at the
end, never into the repository's var/ — even when the caller (`./dev test`) exported
EVACTRACK_VAR_DIR for its own commands. Without a Redis broker, Celery messages go to memory.
The secret key is a throwaway one.
"""

import atexit
import os
import shutil
import tempfile

_var_dir = tempfile.mkdtemp(prefix="evactrack-test-var-")
atexit.register(shutil.rmtree, _var_dir, ignore_errors=True)
os.environ["EVACTRACK_VAR_DIR"] = _var_dir

if not os.environ.get("REDIS_URL") and not os.environ.get("CELERY_BROKER_URL"):
    os.environ["CELERY_BROKER_URL"] = "memory://"
os.environ.setdefault("DJANGO_SECRET_KEY", "test-only-secret-key")
