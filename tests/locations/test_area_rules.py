"""The area tree's rules, tried through the services: a clear error naming the field, nothing stored."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from locations.models import Area, AreaAlias
from locations.services import area_alias_add, area_upsert

pytestmark = pytest.mark.django_db


@pytest.fixture
def country():
    area, _ = area_upsert(code="UA", category="country", name_uk="Україна", name_en="Ukraine")
    return area


def assert_refused(call, field):
    before = (Area.objects.count(), AreaAlias.objects.count())
    with pytest.raises(ValidationError) as caught:
        call()
    assert field in caught.value.message_dict, caught.value.message_dict
    assert (Area.objects.count(), AreaAlias.objects.count()) == before


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"category": "planet"}, "category"),
        ({"code": "ua63 000"}, "code"),
        ({"code": "UA63\x00"}, "code"),
        ({"latitude": 95.0, "longitude": 30.0}, "latitude"),
        ({"latitude": 49.0}, "latitude"),
        ({"longitude": 190.0, "latitude": 10.0}, "latitude"),
        ({"name_uk": ""}, "name_uk"),
        ({"name_uk": "x" * 201}, "name_uk"),
    ],
)
def test_area_rules(country, overrides, field):
    fields = {"code": "UA63000000000041885", "category": "oblast", "name_uk": "Харківська", "parent": country}
    fields.update(overrides)
    assert_refused(lambda: area_upsert(**fields), field)


def test_a_settlement_cannot_hang_under_a_raion(country):
    oblast, _ = area_upsert(code="UA63000000000041885", category="oblast", name_uk="Харківська", parent=country)
    raion, _ = area_upsert(code="UA63080000000032022", category="raion", name_uk="Куп’янський", parent=oblast)
    assert_refused(
        lambda: area_upsert(code="UA63080090010026457", category="city", name_uk="Куп’янськ", parent=raion), "parent"
    )


def test_only_a_country_is_a_root():
    assert_refused(lambda: area_upsert(code="UA63000000000041885", category="oblast", name_uk="Харківська"), "parent")


def test_codes_are_unique_in_the_database(country):
    area_upsert(code="UA63000000000041885", category="oblast", name_uk="Харківська", parent=country)
    with pytest.raises(IntegrityError), transaction.atomic():
        Area.objects.create(
            code="UA63000000000041885",
            category="oblast",
            level="oblast",
            parent=country,
            path="UA/other/",
            name_uk="x",
            name_en="x",
        )


def test_the_database_refuses_a_category_at_the_wrong_level(country):
    with pytest.raises(IntegrityError), transaction.atomic():
        Area.objects.filter(pk=country.pk).update(category="village")


def test_upsert_updates_in_place_and_moves_the_subtree(country):
    oblast, created = area_upsert(code="UA63000000000041885", category="oblast", name_uk="Харківська", parent=country)
    assert created and oblast.name_en == "Kharkivska"
    again, created = area_upsert(code="UA63000000000041885", category="oblast", name_uk="Харківська", parent=country)
    assert not created and again.pk == oblast.pk
    assert Area.objects.count() == 2


def test_alias_of_a_known_spelling_is_not_duplicated(country):
    area_alias_add(area=country, name="Ukraina", kind="variant")
    area_alias_add(area=country, name="  Ukraina ", kind="variant")
    assert AreaAlias.objects.filter(area=country, name="Ukraina").count() == 1
