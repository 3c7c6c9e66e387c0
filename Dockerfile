# One image for web, worker and beat (docker-compose.yml picks the command).
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 EVACTRACK_VAR_DIR=/var/lib/evactrack
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
RUN useradd --system --home /var/lib/evactrack evactrack && mkdir -p /var/lib/evactrack \
    && chown evactrack /var/lib/evactrack \
    && DJANGO_SECRET_KEY=build python manage.py collectstatic --no-input -v 0 \
    && DJANGO_SECRET_KEY=build python manage.py compile_translations
USER evactrack
EXPOSE 8000
CMD ["gunicorn", "evactrack.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
