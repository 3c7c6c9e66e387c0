"""The table of every seeded fact in seeds/README.md, written from the seed file.

`python manage.py seed_readme` rewrites the table between its two markers; a test fails when
the README and the seed file disagree, so the table never drifts from what is loaded.
"""

from pathlib import Path

import yaml

from seeds.articles import ARTICLE_SOURCES
from seeds.loader import SEED_FILE

README = Path(__file__).parent / "README.md"
BEGIN = "<!-- facts table: written by `manage.py seed_readme` from data/kupiansk.yaml -->"
END = "<!-- end of facts table -->"
ARTICLE_OF_SOURCE = {slug: number for number, slug in ARTICLE_SOURCES.items()}
SIGNS = {"exact": "", "at_least": "≥", "at_most": "≤", "approximate": "≈"}


def facts_table(path: Path = SEED_FILE) -> str:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    organizations = {row["slug"]: row["name"] for row in data["organizations"]}
    lines = [
        "| article | where | fact | what we stored |",
        "|---|---|---|---|",
    ]
    describe = {
        "designations": _designation,
        "incidents": _incident,
        "orders": lambda row: _order(row, organizations),
        "population_counts": _count,
    }
    for section, text in describe.items():
        for row in data[section]:
            stored = text(row)
            for citation in row["citations"]:
                article = ARTICLE_OF_SOURCE.get(citation["source"], citation["source"])
                lines.append(f"| {article} | {citation['locator']} | `{row['key']}` | {stored} — {citation['note']} |")
    return "\n".join(lines)


def readme_with_table(readme: str, table: str) -> str:
    head, rest = readme.split(BEGIN, 1)
    _old, tail = rest.split(END, 1)
    return f"{head}{BEGIN}\n{table}\n{END}{tail}"


def _date(row: dict, name: str) -> str:
    value = row.get(name)
    if value is None:
        return "open"
    precision = row.get(f"{name}_precision")
    return f"{value} ({precision})" if precision else str(value)


def _figure(row: dict, name: str) -> str:
    value = row.get(name)
    if value is None:
        return "unknown (null)"
    return f"{SIGNS[row[f'{name}_qualifier']]}{value:,}"


def _designation(row: dict) -> str:
    return f"{row['kind']} at {row['area']} from {_date(row, 'valid_from')} until {_date(row, 'valid_until')}"


def _incident(row: dict) -> str:
    until = f" until {row['occurred_until']}" if row.get("occurred_until") else ""
    return (
        f"incident `{row['incident_type']}` at {row['area']}, {_date(row, 'occurred_on')}{until}; "
        f"killed {_figure(row, 'fatalities')}; injured {_figure(row, 'injured')}"
    )


def _order(row: dict, organizations: dict) -> str:
    issuer = organizations[row["issuer"]] + f" (`{row['issuer']}`)" if "issuer" in row else row["issuing_authority"]
    issued = f", issued {row['issued_on']}" if row.get("issued_on") else ""
    targets = ", ".join(t["area"] for t in row["targets"])
    destinations = ", ".join(row.get("destinations", [])) or "none given"
    return (
        f"{row['kind']} order, {issuer}{issued}, from {_date(row, 'effective_from')}; targets {targets}; "
        f"destinations {destinations}; people {_figure(row, 'people_subject')}; "
        f"children {_figure(row, 'children_subject')}"
    )


def _count(row: dict) -> str:
    return (
        f"{row['kind']} count at {row['area']}, {_date(row, 'reference_date')}; "
        f"people {_figure(row, 'total')}; children {_figure(row, 'children')}"
    )
