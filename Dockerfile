FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
RUN useradd --create-home --uid 10001 collector

COPY pyproject.toml README.md ./
COPY collector ./collector
RUN pip install .

USER collector
# Celery's warm shutdown on SIGTERM: no new jobs, the running ones finish or are handed back.
STOPSIGNAL SIGTERM
CMD ["celery", "-A", "collector.celery_app", "worker", "-Q", "collector", "-c", "4", "--loglevel=INFO"]
