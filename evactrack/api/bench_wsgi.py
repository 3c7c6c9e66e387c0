"""WSGI entry point of the benchmark: the project plus the floor view (evactrack.api.bench)."""

import os

import django
from django.conf import settings
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "evactrack.settings")
django.setup()
settings.ROOT_URLCONF = "evactrack.api.bench"
application = get_wsgi_application()
