# Minimal image; the delivery issue hardens it (non-root user, multi-stage, healthcheck).
FROM python:3.11-slim
WORKDIR /app
COPY clients/python clients/python
COPY server server
COPY pyproject.toml README.md ./
RUN pip install --no-cache-dir .
EXPOSE 50051 50052
ENTRYPOINT ["llmgw", "serve"]
