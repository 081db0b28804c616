# Landscape service image: same install path as README (pip install -e . in /app/.venv).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    LANDSCAPE_HOST=0.0.0.0 LANDSCAPE_PORT=8000 LANDSCAPE_DB=/data/landscape.db \
    NUMBA_CACHE_DIR=/app/.numba-cache

RUN apt-get update && apt-get install -y --no-install-recommends make gcc \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --create-home --uid 1000 landscape \
    && mkdir -p /data /app && chown landscape:landscape /data /app

WORKDIR /app
COPY --chown=landscape:landscape . /app
USER landscape
# The README's setup step, then compile every numba kernel into the image's cache.
RUN make install && .venv/bin/python -c "from app.tasks import warm_up; warm_up()"

VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
    CMD .venv/bin/python -c "import httpx,sys; sys.exit(httpx.get('http://127.0.0.1:8000/v1/health').status_code != 200)"
ENTRYPOINT [".venv/bin/landscape", "serve"]
