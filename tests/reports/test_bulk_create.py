"""The bulk path keeps the single-row rules: all rows or none, errors by row and field."""

import datetime

import pytest

from evactrack.kernel.db import RowsInvalid
from reports.models import Citation, DirtyArea, PopulationCount
from reports.services import CitationInput, population_count_create_many
from tests.factories import AreaFactory, SourceFactory

pytestmark = pytest.mark.django_db


def count_row(area, source, **overrides):
    return {
        "citations": [CitationInput(source=source, locator="table 1")],
        "area": area,
        "kind": "present",
        "reference_date": datetime.date(2023, 8, 10),
        "total": 100,
        "total_qualifier": "exact",
        "method": "registration",
        "summary": "Registered residents.",
        **overrides,
    }


def test_one_bad_row_refuses_the_batch_and_names_row_and_field():
    area, source = AreaFactory(), SourceFactory()
    rows = [
        count_row(area, source),
        count_row(area, source, children=101, children_qualifier="exact"),
        count_row(area, source, citations=[]),
        count_row(area, source, reference_date=datetime.date(2999, 1, 1)),
    ]
    with pytest.raises(RowsInvalid) as caught:
        population_count_create_many(rows=rows)
    assert {index: sorted(errors) for index, errors in caught.value.rows.items()} == {
        1: ["children"],
        2: ["citations"],
        3: ["reference_date"],
    }
    assert not PopulationCount.objects.exists() and not Citation.objects.exists()


def test_a_clean_batch_is_stored_with_citations_history_and_dirty_marks():
    areas, source = [AreaFactory(), AreaFactory()], SourceFactory()
    DirtyArea.objects.all().delete()
    counts = population_count_create_many(rows=[count_row(area, source) for area in areas])
    assert PopulationCount.objects.count() == 2
    assert Citation.objects.filter(population_count__in=counts).count() == 2
    assert PopulationCount.history.count() == 2
    assert set(DirtyArea.objects.values_list("area_id", flat=True)) == {area.pk for area in areas}
