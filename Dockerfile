# pipeline-policy: the HTTP service, migrated and seeded at start.
# Build from a local base with: --build-arg BASE_IMAGE=localhost/pybase:bookworm (scripts/build-image.sh).
ARG BASE_IMAGE=python:3.11-slim

FROM ${BASE_IMAGE} AS builder
# Package-index settings of the build host, passed through at build time; they stay in this stage.
ARG PIP_INDEX_URL=""
ARG PIP_EXTRA_INDEX_URL=""
ARG PIP_TRUSTED_HOST=""
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
# The locked runtime dependencies, each checked against its hash, in a layer of their own (built
# again only when the lock changes); then the project without dependencies. No dev extras.
COPY requirements.txt ./
RUN python3 -m venv /opt/venv \
    && /opt/venv/bin/pip install --require-hashes --no-deps -r requirements.txt
# app/migrations links to migrations/: the package carries the Alembic revisions, so the image
# migrates from site-packages. pip and setuptools leave the venv once it is built.
COPY pyproject.toml README.md ./
COPY migrations ./migrations
COPY app ./app
RUN /opt/venv/bin/pip install --no-deps . \
    && /opt/venv/bin/python -m pip uninstall -q -y pip setuptools

FROM ${BASE_IMAGE} AS runtime
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    DATABASE_URL=sqlite:////var/lib/pipeline-policy/pipeline-policy.db \
    HOST=0.0.0.0 \
    PORT=8000 \
    WORKERS=1
RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --no-create-home \
       --home-dir /var/lib/pipeline-policy --shell /usr/sbin/nologin app \
    && mkdir -p /var/lib/pipeline-policy \
    && chown app:app /var/lib/pipeline-policy
COPY --from=builder /opt/venv /opt/venv
COPY scripts/docker-entrypoint.sh /usr/local/bin/docker-entrypoint.sh
WORKDIR /var/lib/pipeline-policy
VOLUME ["/var/lib/pipeline-policy"]
USER 10001:10001
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import os, sys, urllib.request as u; sys.exit(0 if u.urlopen('http://127.0.0.1:%s/readyz' % os.environ.get('PORT', '8000'), timeout=4).status == 200 else 1)"]
ENTRYPOINT ["/usr/local/bin/docker-entrypoint.sh"]
CMD ["serve"]
