"""Rules of sources and citations."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from reports.models import Citation, Source
from reports.services import source_upsert
from tests.factories import IncidentFactory, OrderFactory, SourceFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"published_on_precision": "day"}, "published_on_precision"),
        (
            {"published_on": timezone.localdate() + datetime.timedelta(days=2), "published_on_precision": "day"},
            "published_on",
        ),
        ({"reliability": "z"}, "reliability"),
        ({"url": "not a url"}, "url"),
        ({"title": ""}, "title"),
    ],
)
def test_source_rules(fields, field):
    with pytest.raises(ValidationError) as caught:
        source_upsert(slug="s", **{"title": "A report", **fields})
    assert field in caught.value.message_dict
    assert not Source.objects.exists()


def test_a_publication_date_without_a_precision_is_a_day():
    source, _created = source_upsert(slug="s", title="A report", published_on=datetime.date(2023, 8, 10))
    assert source.published_on_precision == "day"


def test_two_sources_cannot_share_a_url():
    source_upsert(slug="a", title="A", url="https://example.org/a")
    with pytest.raises(ValidationError) as caught:
        source_upsert(slug="b", title="B", url="https://example.org/a")
    assert "url" in caught.value.message_dict
    assert Source.objects.count() == 1


def test_a_citation_supports_exactly_one_fact():
    incident = IncidentFactory()
    order = OrderFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Citation.objects.create(source=SourceFactory(), incident=incident, order=order)
    with pytest.raises(IntegrityError), transaction.atomic():
        Citation.objects.create(source=SourceFactory())
