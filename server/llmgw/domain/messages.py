"""Conversation content: roles, typed parts and messages.

Pure, immutable value types shared by every layer. Adapters translate them to a
vendor's wire format on every attempt, so nothing here is ever mutated.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    """Author of a message (OpenAI's vocabulary; ``tool`` carries tool results)."""

    SYSTEM = "system"
    USER = "user"
    ASSISTANT = "assistant"
    TOOL = "tool"


class MediaDetail(StrEnum):
    """Resolution hint for images."""

    AUTO = "auto"
    LOW = "low"
    HIGH = "high"


@dataclass(frozen=True, slots=True)
class TextPart:
    """Plain UTF-8 text."""

    text: str


@dataclass(frozen=True, slots=True)
class MediaPart:
    """Image/audio/document, inline (``data``) or by ``uri``; exactly one is set."""

    mime_type: str
    data: bytes | None = None
    uri: str | None = None
    detail: MediaDetail = MediaDetail.AUTO


@dataclass(frozen=True, slots=True)
class ToolCallPart:
    """A tool invocation the model produced. ``arguments_json`` is kept verbatim."""

    id: str
    name: str
    arguments_json: str


@dataclass(frozen=True, slots=True)
class ToolResultPart:
    """The caller's answer to a tool call; ``content`` holds text/media parts only."""

    tool_call_id: str
    content: tuple[TextPart | MediaPart, ...]
    name: str = ""
    is_error: bool = False


@dataclass(frozen=True, slots=True)
class ReasoningPart:
    """Model reasoning that must be echoed back unchanged on later turns."""

    text: str
    signature: bytes = b""
    redacted: bool = False


Part = TextPart | MediaPart | ToolCallPart | ToolResultPart | ReasoningPart


@dataclass(frozen=True, slots=True)
class Message:
    """One conversational turn."""

    role: Role
    parts: tuple[Part, ...]
    name: str = ""

    @property
    def text(self) -> str:
        """Concatenated text of the text parts (convenience for tests and CLI)."""
        return "".join(p.text for p in self.parts if isinstance(p, TextPart))
