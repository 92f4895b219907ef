FROM python:3.12-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 HOST=0.0.0.0 PORT=8000 \
    CELERY_BEAT_SCHEDULE_FILE=/tmp/celerybeat-schedule
WORKDIR /app
COPY . .
RUN pip install --no-cache-dir . \
    && python -m core.i18n \
    && DJANGO_DEBUG=false DJANGO_SECRET_KEY=build-only PAYOUT_DETAILS_KEYS=build-only DATABASE_URL=postgres://build@localhost/build \
       REDIS_URL=redis://build:6379/0 python manage.py collectstatic --noinput
EXPOSE 8000
# The Procfile's processes: `honcho start` runs all three in one container; docker-compose.yml
# runs one per container (`honcho start web`, `worker`, `beat`).
CMD ["honcho", "start"]
