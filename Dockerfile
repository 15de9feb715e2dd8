# Marcus image: build the wheel, install it with its dependencies into a virtualenv, and copy
# only that virtualenv (same base image) into a slim runtime that runs as a non-root user. The build reaches the
# Python package index and nothing else. Contents and use: docs/operations.md ("The image").
#
#   docker build -t marcus:0.1.0 .
#   docker run -e MARCUS_SECRET_KEY=... -e MARCUS_DATABASE_URL=... -p 8000:8000 marcus:0.1.0
#
# Reproducible dependency versions: put a constraints file (pip freeze of a tested install) in
# the context and pass it:  docker build --build-arg CONSTRAINTS=constraints.txt .

FROM python:3.11-slim-bookworm AS build
ARG CONSTRAINTS=""
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1
WORKDIR /src
# .dockerignore lets in only what the wheel is built from (pyproject.toml, README.md, platform/,
# plugins/, migrations/, tenants/, constraints*.txt); tests, docs, benchmarks and the chart stay out.
COPY . .
# The wheel, then a virtualenv without pip holding the wheel and its dependencies only.
RUN python -m pip wheel --no-deps --wheel-dir /dist . \
    && python -m venv --without-pip /opt/marcus \
    && python -m pip --python /opt/marcus/bin/python install ${CONSTRAINTS:+--constraint "$CONSTRAINTS"} /dist/*.whl

FROM python:3.11-slim-bookworm AS runtime
LABEL org.opencontainers.image.title="marcus" \
      org.opencontainers.image.description="Marcus: multi-tenant platform for service businesses" \
      org.opencontainers.image.licenses="MIT"
RUN groupadd --system --gid 10001 marcus \
    && useradd --system --uid 10001 --gid marcus --home-dir /var/lib/marcus --create-home \
       --shell /usr/sbin/nologin marcus
COPY --from=build /opt/marcus /opt/marcus
ENV PATH=/opt/marcus/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    HOME=/var/lib/marcus \
    MARCUS_ENV=prod \
    MARCUS_HOST=0.0.0.0 \
    MARCUS_PORT=8000 \
    MARCUS_DATA_DIR=/var/lib/marcus \
    MARCUS_LOG_JSON=true
WORKDIR /var/lib/marcus
USER 10001:10001
EXPOSE 8000
# Liveness of the process only (GET /healthz); readiness (/readyz) is the orchestrator's business.
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('MARCUS_PORT', '8000'), timeout=4)"]
CMD ["marcus", "serve"]
