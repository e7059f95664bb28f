# Minimal image; the delivery issue hardens it (non-root user, multi-stage, healthcheck).
# Listening beyond loopback needs authentication: run it with LLMGW_ADMIN_KEY (or
# auth configured), else `llmgw serve` refuses to start. Mount /app/data for the
# embedded ledger or the PostgreSQL outbox (it must survive restarts).
FROM python:3.11-slim
WORKDIR /app
COPY clients/python clients/python
COPY server server
COPY pyproject.toml README.md ./
RUN pip install --no-cache-dir .
EXPOSE 50051 50052
VOLUME ["/app/data"]
ENTRYPOINT ["llmgw", "serve"]
CMD ["--listen", "[::]:50051", "--admin-listen", "[::]:50052"]
