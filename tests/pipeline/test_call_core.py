"""Per-call mechanisms of the unary core: ids, the lazy token estimate."""

from __future__ import annotations

import os
import re

from llmgw.domain import ids
from llmgw.domain.ids import new_id
from llmgw.domain.messages import Message, Role, TextPart
from llmgw.domain.requests import ChatRequest
from llmgw.pipeline import gateway


def test_ids_are_32_hex_characters_and_unique_across_batches() -> None:
    made = [new_id() for _ in range(3 * ids._BATCH + 7)]
    assert all(re.fullmatch(r"[0-9a-f]{32}", i) for i in made)
    assert len(set(made)) == len(made)


def test_a_forked_child_does_not_reuse_the_parents_ids() -> None:
    new_id()  # the pool holds ids the child inherits
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: its next id, then exit at once
        try:
            os.write(write, new_id().encode())
        finally:
            os._exit(0)
    os.close(write)
    os.waitpid(pid, 0)
    child = os.read(read, 64).decode()
    os.close(read)
    assert re.fullmatch(r"[0-9a-f]{32}", child)
    assert child != new_id()  # without the at-fork reset both would take the same id


def test_the_lazy_token_estimate_runs_once() -> None:
    request = ChatRequest("m", (Message(Role.USER, (TextPart("x" * 40),)),))
    calls: list[ChatRequest] = []

    def estimate(r: ChatRequest) -> int:
        calls.append(r)
        return 10

    lazy = gateway._Lazy(estimate, request)
    assert calls == []
    assert (lazy(), lazy()) == (10, 10)
    assert calls == [request]
    assert gateway._chat_tokens(request)() == gateway.estimate_input_tokens(request)
