"""Fake OpenAI and Anthropic upstreams on loopback, speaking the real wire formats.

Scriptable per request (``Reply``: status, error type, retry-after headers,
streamed chunks, a cut before the terminal event, an error event, delays),
recording every request, and counting clients that disconnect mid-stream.
Their fidelity is checked by pointing the official ``openai`` and
``anthropic`` SDKs at them (``tests/test_fakes_fidelity.py``).
"""

from upstream_fakes.anthropic_server import FakeAnthropic
from upstream_fakes.base import RecordedRequest, Reply
from upstream_fakes.openai_server import FakeOpenAI

__all__ = ["FakeAnthropic", "FakeOpenAI", "RecordedRequest", "Reply"]
