"""Spreadsheet exports (CSV streamed, XLSX built in memory) of whatever list the user filtered.

Columns use the import's names, so an exported file can be corrected and imported again.
"""

import csv
import datetime
import io

from django.db.models import Model
from django.http import HttpResponse, StreamingHttpResponse

# An XLSX is built in memory; beyond this many rows the CSV export (streamed) is the tool.
XLSX_MAX_ROWS = 100_000
# Export column → how to read it when it is not a plain attribute of the same name.
COLUMN_ATTRIBUTES = {"area_code": "area.code", "organization": "reporting_organization.slug", "order_uid": "order.uid"}


def export_value(obj, column):
    value = obj
    for part in COLUMN_ATTRIBUTES.get(column, column).split("."):
        value = getattr(value, part, None)
        if value is None:
            return ""
    if isinstance(value, Model):
        return str(value)
    if isinstance(value, datetime.datetime):
        return value.isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value if isinstance(value, int | float) else str(value)


class _Echo:
    def write(self, value):
        return value


def csv_response(header, rows, filename):
    writer = csv.writer(_Echo())

    def lines():
        yield "\ufeff"  # so Excel opens the UTF-8 file with Ukrainian names intact
        yield writer.writerow(header)
        for row in rows:
            yield writer.writerow(row)

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def xlsx_response(header, rows, filename):
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append(header)
    for count, row in enumerate(rows, start=1):
        if count > XLSX_MAX_ROWS:
            break
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = HttpResponse(
        buffer.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
