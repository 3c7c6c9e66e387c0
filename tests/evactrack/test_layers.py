"""The layering contracts of pyproject.toml ([tool.importlinter]) hold, and they can fail."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
PACKAGES = ("evactrack", "locations", "reports", "seeds", "benchmarks")


def lint_imports(cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"], cwd=cwd, capture_output=True, text=True, timeout=120,
        env={"PATH": str(LINT_IMPORTS.parent), "PYTHONPATH": str(cwd)},
    )  # fmt: skip


def test_the_tree_keeps_its_layers():
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.fixture
def tree_copy(tmp_path) -> Path:
    for package in PACKAGES:
        shutil.copytree(ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    return tmp_path


@pytest.mark.parametrize(
    ("module", "wrong_import", "broken"),
    [
        ("locations/choices.py", "from reports import models", ("Layers", "locations imports")),
        # Locations imports the kernel, so through it locations would import access too.
        ("evactrack/kernel/db.py", "from evactrack.access import policy", ("Layers", "locations imports")),
        ("reports/selectors.py", "from evactrack.status import selectors", ("Layers",)),
        ("evactrack/access/policy.py", "from reports import selectors", ("Layers",)),
    ],
)
def test_an_import_against_the_layers_breaks_a_contract(tree_copy, module, wrong_import, broken):
    path = tree_copy / module
    path.write_text(path.read_text() + f"\n{wrong_import}  # noqa\n")
    result = lint_imports(tree_copy)
    assert result.returncode == 1, result.stdout + result.stderr
    verdicts = [line for line in result.stdout.splitlines() if line.endswith((" KEPT", " BROKEN"))]
    assert [line for line in verdicts if line.endswith("BROKEN")] == [
        line for line in verdicts if line.startswith(broken)
    ], "\n".join(verdicts)
