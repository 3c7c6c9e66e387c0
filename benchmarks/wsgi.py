"""WSGI entry point of the partner API benchmark: the project plus the floor and the peer
(benchmarks.urls), which no other URLconf mounts."""

import os

import django
from django.conf import settings
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "evactrack.settings")
django.setup()
settings.ROOT_URLCONF = "benchmarks.urls"
application = get_wsgi_application()
