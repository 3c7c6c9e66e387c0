"""Every benchmark the README lists has a quick mode, which CI runs to keep them working."""

import os
import re
import subprocess
import sys
from pathlib import Path

from django.core.management import get_commands, load_command_class

ROOT = Path(__file__).resolve().parents[2]


def readme_benchmarks() -> list[str]:
    section = (ROOT / "README.md").read_text().split("## Benchmarks", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^\|[^|]+\| `([^`]+)` \|$", section, flags=re.MULTILINE)


def test_each_benchmark_command_accepts_quick():
    commands = readme_benchmarks()
    assert len(commands) == 5, commands
    for command in commands:
        if "manage " in command:
            name = command.split("manage ", 1)[1].split()[0]
            parser = load_command_class(get_commands()[name], name).create_parser("manage.py", name)
            assert parser.parse_args(["--quick"]).quick is True, name
        else:
            script = command.split()[-1]
            result = subprocess.run(
                [sys.executable, script, "--help"],
                cwd=ROOT,
                capture_output=True,
                text=True,
                env={**os.environ, "PYTHONPATH": "."},
            )
            assert "--quick" in result.stdout, (script, result.stderr[-500:])
