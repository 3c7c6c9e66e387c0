"""Request bodies as clients really send them: nested too deep, or chunked without a
Content-Length (in-process, and over a socket to gunicorn, which hands chunked input to WSGI
as a stream readable to its end and no CONTENT_LENGTH)."""

import io
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import orjson
import pytest
from django.urls import reverse

from evactrack.kernel.api.parsers import MAX_DEPTH
from tests.api.test_errors import assert_error

BIN = Path(sys.executable).parent


def nested(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


@pytest.mark.django_db
@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 1000, 100_000])
def test_json_nested_too_deep_is_400(partner, incident_body, depth):
    for body in (nested(depth), b'{"summary": ' + nested(depth) + b"}"):
        response = partner.post(reverse("api:incident-list"), body, content_type="application/json")
        assert_error(response, 400)
        assert response.json()["code"] == "parse_error"
    response = partner.post(reverse("api:incident-bulk"), nested(depth), content_type="application/json")
    assert_error(response, 400)


@pytest.mark.django_db
def test_json_nested_to_the_limit_is_read(partner, incident_body):
    """A body MAX_DEPTH levels deep is read (the unknown key is ignored, as any is)."""
    body = orjson.dumps(incident_body())[:-1] + b', "extra": ' + nested(MAX_DEPTH - 1) + b"}"
    response = partner.post(reverse("api:incident-list"), body, content_type="application/json")
    assert response.status_code == 201, response.content


@pytest.mark.django_db
@pytest.mark.parametrize("body", [b'"\\ud800"', b'{"summary": "\\udfff"}', b"\xff\xfe", b"[1, 2", b"NaN", b"1e999"])
def test_json_the_database_cannot_hold_is_400(partner, body):
    """Lone surrogates cannot be encoded for PostgreSQL; NaN is not JSON."""
    assert_error(partner.post(reverse("api:incident-list"), body, content_type="application/json"), 400)


def chunked_post(client, url, body: bytes, terminated=True):
    """The environ gunicorn builds for a chunked request: no CONTENT_LENGTH, a stream that ends
    with the body, and `wsgi.input_terminated` saying so."""
    environ = {"wsgi.input": io.BytesIO(body), "wsgi.input_terminated": terminated}
    return client.generic(
        "POST", url, body, content_type="application/json", CONTENT_LENGTH="", HTTP_TRANSFER_ENCODING="chunked",
        **environ,
    )  # fmt: skip


@pytest.mark.django_db
def test_a_chunked_body_is_read(partner, incident_body):
    response = chunked_post(partner, reverse("api:incident-list"), orjson.dumps(incident_body()))
    assert response.status_code == 201, response.content
    assert response.json()["summary"] == incident_body()["summary"]


@pytest.mark.django_db
def test_a_chunked_body_over_the_limit_is_413(partner, incident_body, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = chunked_post(partner, reverse("api:incident-list"), orjson.dumps(incident_body(summary="x" * 2000)))
    assert_error(response, 413)


@pytest.mark.django_db
def test_a_chunked_body_the_server_does_not_end_is_411(partner, incident_body):
    """Without wsgi.input_terminated, reading to the end of the stream could wait on the socket."""
    response = chunked_post(partner, reverse("api:incident-list"), orjson.dumps(incident_body()), terminated=False)
    assert_error(response, 411)


# --- over a socket, against gunicorn -----------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def raw_request(port: int, head: str, body: bytes = b"") -> tuple[int, bytes]:
    with socket.create_connection(("127.0.0.1", port), timeout=20) as connection:
        connection.sendall(head.encode() + b"\r\n" + body)
        received = b""
        while chunk := connection.recv(65536):
            received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    assert b"content-length:" in head.lower(), head  # so the body is as received, not chunked
    return int(head.split()[1]), body


def chunks(body: bytes, size: int = 100) -> bytes:
    framed = b"".join(
        b"%x\r\n%s\r\n" % (len(body[i : i + size]), body[i : i + size]) for i in range(0, len(body), size)
    )
    return framed + b"0\r\n\r\n"


@pytest.fixture(scope="module")
def gunicorn(tmp_path_factory):
    """gunicorn (sync workers) on a throwaway SQLite installation with a partner token."""
    var_dir = tmp_path_factory.mktemp("var")
    environment = {
        **os.environ,
        "EVACTRACK_VAR_DIR": str(var_dir),
        "EVACTRACK_MAX_BODY_BYTES": "2000",
        "CELERY_BROKER_URL": "memory://",
        "DJANGO_SECRET_KEY": "test-only-secret-key",
    }
    for name in ("DATABASE_URL", "REDIS_URL"):
        environment.pop(name, None)
    run = {"env": environment, "check": True, "capture_output": True, "timeout": 120}
    subprocess.run([BIN / "python", "manage.py", "migrate", "-v0"], **run)
    setup = (
        "from django.contrib.auth import get_user_model\n"
        "from evactrack.access.services import membership_set, token_issue\n"
        "from reports.models import Organization\n"
        "organization = Organization.objects.create(slug='chunked-org', name='Chunked', kind='ngo')\n"
        "user = get_user_model().objects.create_user(username='chunked')\n"
        "membership_set(user=user, organization=organization, role='partner')\n"
        "print(token_issue(user=user, name='chunked')[1])\n"
    )
    token = subprocess.run([BIN / "python", "manage.py", "shell", "-c", setup], **run).stdout.decode().split()[-1]
    port = free_port()
    server = subprocess.Popen(
        [
            BIN / "gunicorn",
            "evactrack.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
            "--control-socket",
            str(var_dir / "gunicorn.ctl"),
        ],
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if raw_request(port, "GET /health/ HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n")[0] == 200:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline and server.poll() is None, "gunicorn did not start"
            time.sleep(0.2)
        yield port, token
    finally:
        server.terminate()
        server.wait(timeout=30)


def chunked_head(token: str, path: str = "/api/v1/incidents/") -> str:
    return (
        f"POST {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nAuthorization: Bearer {token}\r\n"
        "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n"
    )


def test_gunicorn_hands_a_chunked_body_to_the_api(gunicorn):
    port, token = gunicorn
    status, body = raw_request(port, chunked_head(token), chunks(b'{"incident_type": "alien_invasion"}', size=7))
    assert status == 400, body
    fields = orjson.loads(body)["fields"]
    # Read: the choice is refused by name. Unread, every field would be "required".
    assert "not a valid choice" in fields["incident_type"][0], fields


def test_gunicorn_chunked_body_over_the_limit_is_413(gunicorn):
    port, token = gunicorn
    status, body = raw_request(port, chunked_head(token), chunks(b'{"summary": "' + b"x" * 5000 + b'"}'))
    assert status == 413, body
    assert orjson.loads(body)["code"] == "payload_too_large"


def test_gunicorn_malformed_chunks_are_400(gunicorn):
    port, token = gunicorn
    status, body = raw_request(port, chunked_head(token), b"zz\r\n{}\r\n0\r\n\r\n")
    assert status == 400, body
    assert orjson.loads(body)["status"] == 400
