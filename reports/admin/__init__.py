"""Admin for reports: every save calls reports.services, every fact shows its sources.

Django's autodiscover imports this package; importing each module below registers its admins.
The area's page is composed in evactrack/status/admin.py from the part reports contributes
(`reports.admin.areas.AreaReportsMixin`), since locations imports no other app.
"""

from reports.admin import (  # noqa: F401 - imported for their registrations
    counts,
    designations,
    incidents,
    orders,
    sources,
    tables,
)
