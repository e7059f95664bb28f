"""Run one fake upstream until killed (used by ``bench/``).

``python -m upstream_fakes --kind openai --port 0 --chunks 50`` (with ``tests`` on
``PYTHONPATH``) prints ``READY <base_url>`` once listening.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import random

from upstream_fakes.anthropic_server import FakeAnthropic
from upstream_fakes.base import FakeServer, Reply
from upstream_fakes.openai_server import FakeOpenAI


class _Flaky(collections.deque[Reply]):
    """A reply script that fails a random share of requests with 503 (seeded)."""

    def __init__(self, fail_rate: float, seed: int) -> None:
        super().__init__()
        self._fail_rate = fail_rate
        self._random = random.Random(seed)
        self._failure = Reply(status=503, error_type="overloaded")

    def __bool__(self) -> bool:
        return self._random.random() < self._fail_rate

    def popleft(self) -> Reply:
        return self._failure


async def _serve(
    kind: str, port: int, chunks: int, text: str, fail_rate: float, chunk_delay: float = 0.0
) -> None:
    pieces = [text] * chunks
    fake: FakeServer = (FakeOpenAI if kind == "openai" else FakeAnthropic)(
        api_key=None, default_chunks=pieces, default=Reply(chunk_delay=chunk_delay)
    )
    if fail_rate > 0:
        fake.replies = _Flaky(fail_rate, seed=port)
    fake.requests = _Discard()  # type: ignore[assignment]  # a long run must not grow memory
    base_url = await fake.start(port)
    print(f"READY {base_url}", flush=True)
    await asyncio.Event().wait()


class _Discard(list):  # type: ignore[type-arg]
    def append(self, _item: object) -> None:
        return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--kind", choices=("openai", "anthropic"), default="openai")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--chunks", type=int, default=50)
    parser.add_argument("--chunk-text", default="tok ")
    parser.add_argument("--fail-rate", type=float, default=0.0, help="share answered 503")
    parser.add_argument("--chunk-delay", type=float, default=0.0, help="seconds before each chunk")
    args = parser.parse_args()
    serve = (args.kind, args.port, args.chunks, args.chunk_text, args.fail_rate, args.chunk_delay)
    try:
        import uvloop

        uvloop.run(_serve(*serve))
    except ImportError:  # pragma: no cover
        asyncio.run(_serve(*serve))


if __name__ == "__main__":
    main()
