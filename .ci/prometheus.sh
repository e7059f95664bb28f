#!/usr/bin/env bash
# Prometheus from Debian's package, for tests/observability/test_dashboard_prometheus.py:
# installed here, never started as a service (the test runs the binary itself on
# 127.0.0.1 with a temporary config, and stops it). Without apt or the package the
# test skips with the reason.
set -uo pipefail
if command -v prometheus >/dev/null; then
  prometheus --version 2>&1 | head -n1
  exit 0
fi
if ! command -v apt-get >/dev/null; then
  echo "no apt-get: the Prometheus dashboard test will skip" >&2
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null 2>&1 || true
if apt-get install -y -qq --no-install-recommends prometheus >/dev/null 2>&1; then
  prometheus --version 2>&1 | head -n1
else
  echo "apt-get install prometheus failed: the Prometheus dashboard test will skip" >&2
fi
exit 0
