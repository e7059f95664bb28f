# syntax=docker/dockerfile:1
# llmgw image: multi-stage, non-root, read-only-root-filesystem friendly.
#
# Every third-party package comes from requirements/*.lock (pinned, with
# hashes: two builds install the same bytes); the two local packages
# (llmgateway-client, llmgw) are built as wheels and installed with --no-deps.
# docker/install.sh holds the install steps; CI runs the same script in a clean
# venv (.ci/delivery.sh) because CI has no container engine.
#
# Run:  docker run -p 50051:50051 -e LLMGW_ADMIN_KEY=... -v llmgw-data:/app/data llmgw
# Listening beyond loopback needs authentication (LLMGW_ADMIN_KEY or auth in the
# config), else `llmgw serve` refuses to start. /app/data holds the embedded
# SQLite ledger or the PostgreSQL outbox: mount a volume that survives restarts.

ARG PYTHON_IMAGE=python:3.11.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PYTHONDONTWRITEBYTECODE=1
WORKDIR /src
COPY docker/install.sh docker/install.sh
COPY requirements/ requirements/
RUN sh docker/install.sh deps /src /opt/llmgw /tmp/build
COPY pyproject.toml README.md ./
COPY clients/python/ clients/python/
COPY server/ server/
RUN sh docker/install.sh app /src /opt/llmgw /tmp/build \
    && /opt/llmgw/bin/python -m compileall -q /opt/llmgw/lib

FROM ${PYTHON_IMAGE}
LABEL org.opencontainers.image.title="llmgw" \
      org.opencontainers.image.description="LLM gateway served over gRPC" \
      org.opencontainers.image.source="https://github.com/llmgw/llmgw"
RUN groupadd --system --gid 10001 llmgw \
    && useradd --system --uid 10001 --gid 10001 --home-dir /app --no-create-home \
       --shell /usr/sbin/nologin llmgw \
    && install -d -o 10001 -g 10001 -m 0750 /app /app/data
COPY --from=build /opt/llmgw /opt/llmgw
# No .pyc writes at run time (read-only root filesystem): the build compiled them.
ENV PATH=/opt/llmgw/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1
WORKDIR /app
USER 10001:10001
VOLUME ["/app/data"]
# 50051 data plane (gRPC), 50052 admin plane (gRPC), 9464 metrics (--metrics-listen).
EXPOSE 50051 50052 9464
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
    CMD ["llmgw", "health", "--address", "127.0.0.1:50051", "--service", "readiness", "--timeout", "3"]
STOPSIGNAL SIGTERM
# Exec form: llmgw is PID 1 and receives SIGTERM itself (drains, exits 0).
ENTRYPOINT ["llmgw", "serve"]
CMD ["--listen", "[::]:50051", "--admin-listen", "[::]:50052"]
