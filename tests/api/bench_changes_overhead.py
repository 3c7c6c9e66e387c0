"""Not a test of the suite (no test_ prefix): what writing change entries costs. Run explicitly."""

import statistics
import time

import pytest

from reports import services
from reports.services import CitationInput, incident_create, incident_create_many

pytestmark = pytest.mark.django_db


def fields(area, source, i):
    return {
        "citations": [CitationInput(source=source, locator="¶1")],
        "incident_type": "shelling",
        "occurred_on": "2023-08-10",
        "area": area,
        "summary": f"Bench {i}.",
    }


def timed(fn, repeat):
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def test_overhead(area, source, monkeypatch, capsys):
    """Time spent inside changes_record as a share of each service call (robust to a busy machine)."""
    real, spent = services.changes_record, [0.0]

    def record(**kwargs):
        begin = time.perf_counter()
        real(**kwargs)
        spent[0] += time.perf_counter() - begin

    monkeypatch.setattr(services, "changes_record", record)
    for label, call, repeat in (
        ("incident_create", lambda: incident_create(**fields(area, source, 0)), 300),
        (
            "incident_create_many(1000)",
            lambda: incident_create_many(rows=[fields(area, source, i) for i in range(1000)]),
            10,
        ),
    ):
        call()  # warm
        spent[0] = 0.0
        begin = time.perf_counter()
        for _ in range(repeat):
            call()
        total = time.perf_counter() - begin
        with capsys.disabled():
            print(
                f"\n{label}: {total / repeat * 1000:.2f} ms per call, of which changes_record "
                f"{spent[0] / repeat * 1000:.3f} ms ({spent[0] / total:.1%})"
            )
