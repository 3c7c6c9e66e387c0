"""Time the pages people open, at national scale, to catch a page that sorts or scans a table.

    EVACTRACK_VAR_DIR=/tmp/evt-bench python manage.py bench_api --skip-export   # builds the data once
    EVACTRACK_VAR_DIR=/tmp/evt-bench python manage.py bench_pages

Runs in-process (Django's test client: no HTTP, no gunicorn) against the database bench_api
built (30,000 settlements, 1,000,000 incidents with citations), as a coordinator's API token
and as a superuser in the admin. Prints, per page, the median of --repeat requests, the
status and the number of queries. Adds 300 evacuation orders once, through the services, so
the order filters have something to find.
"""

import datetime
import random
import statistics
import time

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from evactrack.access.services import token_issue
from locations.models import Area
from reports.models import EvacuationOrder, Source
from reports.services import CitationInput, TargetInput, order_create

ORDERS = 300
QUICK_ORDERS = 30
API_PAGES = [
    "/api/v1/areas/?level=settlement&limit=100",
    "/api/v1/areas/?level=settlement&limit=1",
    "/api/v1/areas/?within=UA63&limit=100",
    "/api/v1/areas/?has_active_order=true&limit=100",
    "/api/v1/areas/?has_active_order=false&level=settlement&limit=100",
    "/api/v1/areas/?near=49.7,37.6,20&limit=100",
    "/api/v1/incidents/?limit=100",
    "/api/v1/incidents/?within=UA63&limit=100",
    "/api/v1/incidents/?within=UA6301&limit=100",
    "/api/v1/incidents/?within=UA6301001&limit=100",
    "/api/v1/incidents/?verification_state=reported&limit=100",
    "/api/v1/incidents/?updated_since=2020-01-01T00:00:00Z&ordering=id&limit=1000",
    "/api/v1/orders/?active=true&limit=100",
    "/api/v1/orders/?within=UA63&limit=100",
]
ADMIN_PAGES = [
    "/admin/dashboard/",
    "/admin/reports/incident/",
    "/admin/reports/incident/?verification_state__exact=verified",
    "/admin/reports/citation/",
    "/admin/reports/evacuationorder/",
    "/admin/locations/area/",
    "/admin/locations/area/?q=Selo",
]


class Command(BaseCommand):
    help = "Median time of the API's and the admin's main pages on the benchmark database."

    def add_arguments(self, parser):
        parser.add_argument("--repeat", type=int, default=5)
        parser.add_argument(
            "--quick", action="store_true", help="Each page once, 30 orders: checks the benchmark runs."
        )

    def handle(self, *args, repeat, quick, **options):
        if quick:
            repeat, self.orders = 1, QUICK_ORDERS
        else:
            self.orders = ORDERS
        if not Area.objects.filter(level="settlement").exists():
            raise CommandError("No data: run bench_api first (same EVACTRACK_VAR_DIR or DATABASE_URL).")
        settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
        self._orders()
        api, admin = Client(), Client()
        user = get_user_model().objects.get(username="bench-client")
        _token, raw_key = token_issue(user=user, name="bench_pages")
        api.defaults["HTTP_AUTHORIZATION"] = f"Bearer {raw_key}"
        superuser, _ = get_user_model().objects.get_or_create(
            username="bench-admin", defaults={"is_staff": True, "is_superuser": True}
        )
        admin.force_login(superuser)
        self.stdout.write(f"{connection.vendor}; median of {repeat}; in-process")
        for client, pages in ((api, API_PAGES), (admin, ADMIN_PAGES)):
            for url in pages:
                self._time(client, url, repeat)

    def _time(self, client, url, repeat):
        client.get(url)  # warm: imports, caches, the page's statements
        times = []
        for _ in range(repeat):
            started = time.perf_counter()
            response = client.get(url)
            times.append(time.perf_counter() - started)
        with CaptureQueriesContext(connection) as queries:
            client.get(url)
        median_ms = statistics.median(times) * 1000
        self.stdout.write(f"{median_ms:9.1f} ms  {response.status_code}  {len(queries):2d} queries  {url}")

    def _orders(self):
        if EvacuationOrder.objects.count() >= self.orders:
            return
        rng = random.Random(5)
        source = Source.objects.get(slug="bench-wire")
        hromadas = list(Area.objects.filter(level="hromada"))
        raions = list(Area.objects.filter(level="raion"))
        for n in range(EvacuationOrder.objects.count(), self.orders):
            area = rng.choice(raions if n % 10 == 0 else hromadas)
            order_create(
                citations=[CitationInput(source=source)],
                targets=[TargetInput(area=area, scope="subtree")],
                title=f"Synthetic order {n}",
                issuing_authority="Bench",
                kind="mandatory",
                effective_from=datetime.date(2023, 1, 1),
                summary="Synthetic order.",
            )
