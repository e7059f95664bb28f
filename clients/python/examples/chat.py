"""llmgateway.client against a running gateway: unary Chat, StreamChat read to its
final event, cancelling a stream, a deadline, the API key as metadata and the
google.rpc.Status details decoded.

    LLMGW_ADDRESS=127.0.0.1:50051 LLMGW_API_KEY=... LLMGW_MODEL=demo-chat \\
        python clients/python/examples/chat.py
"""

from __future__ import annotations

import asyncio
import os

from llmgateway.client import (
    ClientOptions,
    DeadlineExceededError,
    GatewayClient,
    GatewayError,
    response_text,
)


async def main() -> None:
    model = os.environ.get("LLMGW_MODEL", "demo-chat")
    async with GatewayClient(
        os.environ.get("LLMGW_ADDRESS", "127.0.0.1:50051"),
        api_key=os.environ.get("LLMGW_API_KEY"),  # sent as authorization: Bearer ...
        options=ClientOptions(timeout=60, max_attempts=3),  # retries honour RetryInfo
    ) as client:
        reply = await client.chat(model, "Say hello", timeout=30)
        print("chat:", response_text(reply))

        stream = client.stream_chat(model, "Say hello")
        print("stream:", "".join([text async for text in stream]))
        if stream.usage is not None and stream.cost is not None:
            total = stream.cost.total
            print(
                f"final: {stream.usage.output_token_count} output tokens, "
                f"cost {total.currency_code} {total.units}.{total.nanos:09d}"
            )

        # Cancelling: leave the loop (or call stream.cancel()); the gateway stops
        # the upstream.
        async for _text in client.stream_chat(model, "Count to 1000"):
            break
        print("cancelled")

        try:
            await client.chat(os.environ.get("LLMGW_SLEEPY_MODEL", model), "hi", timeout=0.5)
        except DeadlineExceededError as exc:
            print("deadline:", exc.code.name)

        try:
            await client.chat(f"{model}-typo", "hi")
        except GatewayError as exc:
            print(f"error: {exc.code.name} reason {exc.reason} request {exc.request_id}")
            if exc.retry_delay is not None:
                print(f"  retry after {exc.retry_delay} s")
            for violation in exc.field_violations:
                print(f"  bad field {violation.field}: {violation.description}")


if __name__ == "__main__":
    asyncio.run(main())
