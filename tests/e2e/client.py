"""A partner's HTTP client for the black-box suite: a base URL, a bearer token, JSON in and out."""

import json

import requests

ERROR_KEYS = {"status", "code", "detail", "fields"}


class Client:
    """Requests to one server as one caller. Paths are relative to the server (`/api/v1/...`)."""

    def __init__(self, base_url: str, token: str | None = None, *, name: str = "anonymous"):
        self.base_url, self.token, self.name = base_url.rstrip("/"), token, name
        self.session = requests.Session()
        if token:
            self.session.headers["Authorization"] = f"Bearer {token}"

    def url(self, path: str) -> str:
        return path if path.startswith("http") else f"{self.base_url}{path}"

    def request(self, method: str, path: str, *, json_body=None, data=None, headers=None, **kwargs):
        if json_body is not None:
            data = json.dumps(json_body)
            headers = {"Content-Type": "application/json", **(headers or {})}
        return self.session.request(method, self.url(path), data=data, headers=headers, timeout=60, **kwargs)

    def get(self, path, **kwargs):
        return self.request("GET", path, **kwargs)

    def post(self, path, body=None, **kwargs):
        return self.request("POST", path, json_body=body if body is not None else {}, **kwargs)

    def put(self, path, body, **kwargs):
        return self.request("PUT", path, json_body=body, **kwargs)

    def patch(self, path, body, **kwargs):
        return self.request("PATCH", path, json_body=body, **kwargs)

    def delete(self, path, **kwargs):
        return self.request("DELETE", path, **kwargs)

    def json(self, method: str, path: str, *, expect: int = 200, **kwargs):
        """The JSON body of a request that must answer `expect`."""
        response = self.request(method, path, **kwargs)
        assert response.status_code == expect, describe(response)
        return response.json()

    def all_pages(self, path: str, *, params=None) -> list:
        """Every row of a cursor-paginated list, following `next`."""
        rows, url = [], path
        while url:
            page = self.json("GET", url, params=params)
            params = None  # `next` carries the query string
            rows.extend(page["results"])
            url = page.get("next")
        return rows


def describe(response) -> str:
    """One failure line: method, URL, status and the start of the body."""
    request = response.request
    return f"{request.method} {request.url} → {response.status_code}: {response.text[:600]}"


def assert_error(response, *statuses: int) -> dict:
    """A 4xx answer among `statuses` with the API's JSON error shape; returns the body."""
    assert response.status_code in statuses, describe(response)
    assert response.headers.get("Content-Type", "").startswith("application/json"), describe(response)
    body = response.json()
    assert set(body) >= ERROR_KEYS, f"not the error shape: {describe(response)}"
    assert body["status"] == response.status_code, describe(response)
    assert isinstance(body["fields"], dict), describe(response)
    return body
