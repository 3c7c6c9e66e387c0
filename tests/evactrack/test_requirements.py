"""The runtime environment `./dev run` builds (requirements.txt only) holds every package the
application's code imports, and pyproject.toml names each of them, pinned the same way."""

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
APPLICATION = ("evactrack", "locations", "reports", "seeds")


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pins(text: str) -> dict[str, str]:
    """{distribution: version} of requirements text (without the files it includes)."""
    found = {}
    for line in text.splitlines():
        match = re.match(r"^([A-Za-z0-9_.\-]+)(\[[^\]]*\])?==(\S+)", line.strip())
        if match:
            found[canonical(match[1])] = match[3]
    return found


def imported_distributions() -> dict[str, str]:
    """{distribution: first file importing it} for every third-party import of the application."""
    local = {path.name for path in ROOT.iterdir() if path.is_dir()}
    providers = packages_distributions()
    found = {}
    for package in APPLICATION:
        for path in sorted((ROOT / package).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
                    names = [node.module]
                else:
                    continue
                for name in names:
                    top = name.split(".")[0]
                    if top in sys.stdlib_module_names or top in local:
                        continue
                    for distribution in providers.get(top, [top]):
                        found.setdefault(canonical(distribution), str(path.relative_to(ROOT)))
    return found


def test_every_package_the_application_imports_is_a_runtime_requirement():
    runtime = pins((ROOT / "requirements.txt").read_text())
    missing = {name: where for name, where in imported_distributions().items() if name not in runtime}
    assert not missing, f"imported by the application but not in requirements.txt: {missing}"


def test_pyproject_names_every_direct_runtime_dependency_with_its_pin():
    declared = {}
    for requirement in tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]:
        name, version = re.match(r"^([A-Za-z0-9_.\-]+)(?:\[[^\]]*\])?==(\S+)$", requirement).groups()
        declared[canonical(name)] = version
    direct = (ROOT / "requirements.txt").read_text().split("\n# transitive\n")[0]
    assert declared == pins(direct)
