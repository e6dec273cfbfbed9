# syntax=docker/dockerfile:1
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY bots ./bots
COPY shared ./shared
COPY scheduler ./scheduler
COPY config ./config
COPY web ./web
COPY simulators ./simulators
COPY sandbox ./sandbox
RUN pip install --no-cache-dir --upgrade pip \
 && pip wheel --no-cache-dir --wheel-dir /wheels .

FROM python:3.11-slim
RUN useradd --create-home --uid 10001 glashatai \
 && mkdir -p /app/data && chown glashatai /app/data
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels
USER glashatai
WORKDIR /app
# The data folder: the SQLite file (glashatai.db), its instance lock and the heartbeat.
ENV GLASHATAI_HOME=/app/data \
    PYTHONUNBUFFERED=1
VOLUME ["/app/data"]
HEALTHCHECK --interval=60s --timeout=10s --start-period=30s --retries=3 \
  CMD ["glashatai", "health"]
CMD ["glashatai", "run"]
