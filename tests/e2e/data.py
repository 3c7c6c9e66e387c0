"""Request bodies and places for the black-box tests, found over HTTP like a partner finds them."""

import functools
import uuid

# A source the seeds load (seeds/data/kupiansk.yaml): every fact must cite one.
SEEDED_SOURCE = "afp-2023-08-kupiansk-evacuation-call"
KUPIANSK_CITY = "UA63080090010026457"
# Each test module works in an oblast of its own, far from the seeded facts, so one module's
# writes never move another's statuses. Keys: P-codes of the oblasts.
OBLASTS = {
    "writes": "UA07",  # Volyn
    "idempotency": "UA56",  # Rivne
    "permissions": "UA18",  # Zhytomyr
    "errors": "UA74",  # Chernihiv
    "worker": "UA61",  # Ternopil
    "exports": "UA53",  # Poltava
    "times": "UA26",  # Ivano-Frankivsk
    "sync": "UA05",  # Vinnytsia
}


@functools.cache
def _settlements(base_url: str, token: str, pcode: str) -> tuple[str, ...]:
    from tests.e2e.client import Client

    client = Client(base_url, token)
    (oblast,) = client.json("GET", "/api/v1/areas/", params={"pcode": pcode, "level": "oblast"})["results"]
    page = client.json("GET", "/api/v1/areas/", params={"within": oblast["code"], "level": "settlement", "limit": 50})
    return tuple(row["code"] for row in page["results"])


def settlement(client, topic: str, index: int = 0) -> str:
    """The code of the index-th settlement of the topic's oblast."""
    return _settlements(client.base_url, client.token, OBLASTS[topic])[index]


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def citations(locator: str = "¶1") -> list[dict]:
    return [{"source": SEEDED_SOURCE, "locator": locator}]


def incident_body(area: str, **overrides) -> dict:
    body = {
        "incident_type": "shelling",
        "occurred_on": "2023-08-10",
        "area": area,
        "fatalities": 2,
        "fatalities_qualifier": "exact",
        "summary": "Shelling of a residential street.",
        "citations": citations(),
    }
    return {**body, **overrides}


def order_body(area: str, **overrides) -> dict:
    body = {
        "title": "Mandatory evacuation of families with children",
        "issuing_authority": "Oblast military administration",
        "kind": "mandatory",
        "effective_from": "2023-08-10",
        "targets": [{"area": area}],
        "summary": "Ordered by the oblast administration.",
        "citations": citations(),
    }
    return {**body, **overrides}


def count_body(area: str, **overrides) -> dict:
    body = {
        "area": area,
        "kind": "baseline",
        "reference_date": "2022-01-01",
        "total": 2500,
        "total_qualifier": "approximate",
        "method": "census",
        "summary": "Pre-war population.",
        "citations": citations(),
    }
    return {**body, **overrides}


def designation_body(area: str, **overrides) -> dict:
    body = {
        "area": area,
        "kind": "active_hostilities",
        "valid_from": "2022-02-27",
        "summary": "On the list of territories of active hostilities.",
        "citations": citations(),
    }
    return {**body, **overrides}


def source_body(**overrides) -> dict:
    body = {"slug": unique("e2e-source"), "title": "A statement of the hromada", "reliability": "f"}
    return {**body, **overrides}
