"""Failure bench: success rate and added latency when an upstream is flaky.

Starts two fake OpenAI-compatible upstreams (one answers 503 to a share of
requests, ``--fail-rate``, default 30 %; the other is healthy) and the gateway
with an alias chain ``[flaky, healthy]`` and a short retry backoff. Runs the
same bounded load twice through the gateway: once with a healthy-only chain
(the baseline) and once through the flaky chain, and prints the success rate
and latency percentiles of both, plus what the failures added.

Usage: ``python bench/failover.py [--requests N] [--fail-rate F]``. Loopback only.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

import grpc
from hot_path import ROOT, _load, _percentile, _start, _stop, start_gateway
from llmgateway.v1 import content_pb2, gateway_service_pb2, gateway_service_pb2_grpc


def _config(flaky: str, healthy: str) -> str:
    backend = (
        "  - name: {name}\n"
        "    kind: openai_compatible\n"
        "    base_url: {url}\n"
        "    models: [{{id: m}}]\n"
        "    retry: {{initial_backoff_seconds: 0.02, max_backoff_seconds: 0.2, max_retries: 1}}\n"
        "    circuit_breaker: {{failure_threshold: 50, min_calls: 1000}}\n"
    )
    return (
        "demo_enabled: false\nprobe_interval_seconds: 0\nbackends:\n"
        + backend.format(name="flaky", url=flaky)
        + backend.format(name="healthy", url=healthy)
        + "aliases:\n  chain: [flaky/m, healthy/m]\n  baseline: [healthy/m]\n"
    )


async def run(requests: int, fail_rate: float, concurrency: int) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "tests")}
    fakes = [
        _start([sys.executable, "-m", "upstream_fakes", "--fail-rate", str(rate)], env)
        for rate in (fail_rate, 0.0)
    ]
    gateway = None
    try:
        urls = []
        for fake in fakes:
            assert fake.stdout is not None
            urls.append(fake.stdout.readline().split()[1])
        config = Path(tempfile.mkdtemp()) / "failover.yaml"
        config.write_text(_config(*urls), encoding="utf-8")
        gateway, address = await start_gateway(config, "error")
        message = content_pb2.Message(
            role=content_pb2.ROLE_USER, parts=[content_pb2.Part(text="hello")]
        )
        async with grpc.aio.insecure_channel(address) as channel:
            stub = gateway_service_pb2_grpc.GatewayServiceStub(channel)
            results: dict[str, tuple[int, int, list[float], int]] = {}
            for alias in ("baseline", "chain"):
                request = gateway_service_pb2.ChatRequest(model=alias, messages=[message])
                ok = failed = fell_back = 0

                async def call(request=request) -> None:  # type: ignore[no-untyped-def]
                    nonlocal ok, failed, fell_back
                    try:
                        response = await stub.Chat(request, timeout=10)
                        ok += 1
                        fell_back += bool(response.route.failed_backends)
                    except grpc.aio.AioRpcError:
                        failed += 1

                await _load(call, concurrency, 50)  # warm-up
                ok = failed = fell_back = 0
                latencies = await _load(call, concurrency, requests)
                results[alias] = (ok, failed, latencies, fell_back)
        print(
            f"{requests} unary requests at concurrency {concurrency}; flaky upstream fails "
            f"{fail_rate:.0%} of its requests with 503"
        )
        print("chain    | success | p50 ms | p99 ms | served after a failure")
        for alias, (ok, failed, latencies, fell_back) in results.items():
            print(
                f"{alias:8} | {ok / (ok + failed):7.2%} | {_percentile(latencies, 0.5):6.2f} | "
                f"{_percentile(latencies, 0.99):6.2f} | {fell_back}"
            )
        base, chain = results["baseline"][2], results["chain"][2]
        print(
            f"added by failures: p50 {_percentile(chain, 0.5) - _percentile(base, 0.5):.2f} ms, "
            f"p99 {_percentile(chain, 0.99) - _percentile(base, 0.99):.2f} ms"
        )
    finally:
        if gateway is not None:
            _stop(gateway)
        for fake in fakes:
            _stop(fake)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--fail-rate", type=float, default=0.3)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    import uvloop

    uvloop.run(run(args.requests, args.fail_rate, args.concurrency))


if __name__ == "__main__":
    main()
