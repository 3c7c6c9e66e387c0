"""Everything under an area, at any depth, in one indexed query."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from locations.models import Area
from reports.models import Incident

pytestmark = pytest.mark.django_db


def test_within_a_raion_returns_the_whole_subtree_in_one_query(small_gazetteer):
    raion = Area.objects.get(code="UA63080000000032022")
    with CaptureQueriesContext(connection) as queries:
        codes = list(Area.objects.within(raion).values_list("code", flat=True))
    assert len(queries) == 1
    assert set(codes) == set(Area.objects.filter(code__startswith="UA6308").values_list("code", flat=True))
    assert {Area.objects.get(code=code).level for code in codes} == {"raion", "hromada", "settlement"}
    assert raion.code not in Area.objects.within(raion, include_self=False).values_list("code", flat=True)


def test_within_reaches_city_districts_under_a_special_status_city(small_gazetteer):
    kyiv = Area.objects.get(code="UA80000000000093317")
    assert list(Area.objects.within(kyiv, include_self=False).values_list("level", flat=True)) == ["city_district"]


def test_within_uses_the_path_index_on_sqlite(small_gazetteer):
    if connection.vendor != "sqlite":
        pytest.skip("SQLite plan")
    raion = Area.objects.get(code="UA63080000000032022")
    # SQLite's LIKE folds case and cannot use a B-tree: a subtree is a range of paths there
    # (locations.models.PathStartsWith), also when reached through a relation.
    plan = Area.objects.within(raion).explain()
    assert "SEARCH locations_area USING INDEX" in plan and "(path>? AND path<?)" in plan, plan
    through = Incident.objects.filter(area__path__startswith=raion.path).explain()
    assert "(path>? AND path<?)" in through, through


@pytest.mark.postgres
def test_within_uses_the_path_pattern_index_on_postgresql(small_gazetteer):
    raion = Area.objects.get(code="UA63080000000032022")
    with connection.cursor() as cursor:
        # Few rows in a test database: forbid sequential scans so the plan shows what the
        # planner can use at national scale.
        cursor.execute("SET LOCAL enable_seqscan = off")
        plan = Area.objects.within(raion).explain()
    assert "locations_area_path" in plan and "_like" in plan, plan
    assert "Seq Scan" not in plan, plan
