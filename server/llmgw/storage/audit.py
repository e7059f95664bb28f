"""The audit log: one append-only row per admin action, newest first on read.

Rows are written (and committed) before the action's response is sent, so an
answered admin call always has its row. ``before``/``after`` are redacted
*here*, at the only door into the table, so no caller can forget to:
secret-looking fields and substrings never reach the database
(``llmgw.domain.redaction``). Nothing updates or deletes rows.

Listing is keyset-paginated on ``(create_time_ns, id)`` descending: a page
token names the last row returned, so rows appended meanwhile never shift a
later page. Tokens are opaque to callers (base64 of the position).
"""

from __future__ import annotations

import base64
import binascii
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum

import orjson

from llmgw.domain.ids import new_id
from llmgw.domain.redaction import redact
from llmgw.storage.database import Database, migrate

_MIGRATION = (
    "CREATE TABLE IF NOT EXISTS audit_events ("
    " id TEXT PRIMARY KEY,"
    " create_time_ns BIGINT NOT NULL,"
    " actor TEXT NOT NULL,"
    " action TEXT NOT NULL,"
    " target TEXT NOT NULL,"
    " before_json TEXT NOT NULL,"
    " after_json TEXT NOT NULL,"
    " request_id TEXT NOT NULL,"
    " outcome TEXT NOT NULL,"
    " reason TEXT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS audit_events_time ON audit_events (create_time_ns, id)",
)
_COLUMNS = (
    "id, create_time_ns, actor, action, target, before_json, after_json, request_id,"
    " outcome, reason"
)


class AuditOutcome(StrEnum):
    SUCCESS = "success"
    FAILURE = "failure"
    DRY_RUN = "dry_run"


@dataclass(frozen=True, slots=True)
class AuditEvent:
    """One stored row; ``before_json``/``after_json`` are redacted JSON text."""

    id: str
    create_time_ns: int
    actor: str
    action: str
    target: str
    before_json: str
    after_json: str
    request_id: str
    outcome: AuditOutcome
    reason: str


@dataclass(frozen=True, slots=True)
class AuditQuery:
    """Filters (empty / ``None`` = any); ``end_ns`` is exclusive."""

    start_ns: int | None = None
    end_ns: int | None = None
    actor: str = ""
    action: str = ""


class InvalidPageTokenError(ValueError):
    """The page token was not issued by ``AuditStore.list``."""


class AuditStore:
    """Append and list audit rows over the shared state ``Database``."""

    def __init__(self, db: Database, now_ns: Callable[[], int] = time.time_ns) -> None:
        self._db = db
        self._now_ns = now_ns

    @classmethod
    async def open(cls, db: Database) -> AuditStore:
        await migrate(db, "audit_events_v1", _MIGRATION)
        return cls(db)

    async def append(
        self,
        *,
        actor: str,
        action: str,
        target: str,
        outcome: AuditOutcome,
        before: object = None,
        after: object = None,
        request_id: str = "",
        reason: str = "",
    ) -> AuditEvent:
        """Write one row (committed when this returns) and return it as stored."""
        event = AuditEvent(
            id=new_id(),
            create_time_ns=self._now_ns(),
            actor=actor,
            action=action,
            target=target,
            before_json=_json(before),
            after_json=_json(after),
            request_id=request_id,
            outcome=outcome,
            reason=str(redact(reason)),
        )
        await self._db.execute(
            f"INSERT INTO audit_events ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            event.id,
            event.create_time_ns,
            event.actor,
            event.action,
            event.target,
            event.before_json,
            event.after_json,
            event.request_id,
            event.outcome.value,
            event.reason,
        )
        return event

    async def list(
        self, query: AuditQuery, page_size: int, page_token: str = ""
    ) -> tuple[list[AuditEvent], str]:
        """One page, newest first, and the token of the next ('' = last page)."""
        where: list[str] = []
        args: list[object] = []
        if query.start_ns is not None:
            where.append("create_time_ns >= ?")
            args.append(query.start_ns)
        if query.end_ns is not None:
            where.append("create_time_ns < ?")
            args.append(query.end_ns)
        if query.actor:
            where.append("actor = ?")
            args.append(query.actor)
        if query.action:
            where.append("action = ?")
            args.append(query.action)
        if page_token:
            at_ns, at_id = _decode(page_token)
            where.append("(create_time_ns < ? OR (create_time_ns = ? AND id < ?))")
            args.extend((at_ns, at_ns, at_id))
        sql = f"SELECT {_COLUMNS} FROM audit_events"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY create_time_ns DESC, id DESC LIMIT ?"
        rows = await self._db.fetch(sql, *args, page_size + 1)
        events = [
            AuditEvent(
                id=str(r[0]),
                create_time_ns=int(r[1]),
                actor=str(r[2]),
                action=str(r[3]),
                target=str(r[4]),
                before_json=str(r[5]),
                after_json=str(r[6]),
                request_id=str(r[7]),
                outcome=AuditOutcome(r[8]),
                reason=str(r[9]),
            )
            for r in rows[:page_size]
        ]
        more = len(rows) > page_size
        return events, _encode(events[-1]) if more and events else ""


def _json(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, Mapping | list | tuple):
        return orjson.dumps(redact(value), option=orjson.OPT_SORT_KEYS).decode()
    return orjson.dumps(redact(value)).decode()


def _encode(event: AuditEvent) -> str:
    return base64.urlsafe_b64encode(f"a1:{event.create_time_ns}:{event.id}".encode()).decode()


def _decode(token: str) -> tuple[int, str]:
    try:
        version, at_ns, at_id = base64.urlsafe_b64decode(token.encode()).decode().split(":")
        if version == "a1" and at_ns.isdigit() and at_id and at_id.isalnum():
            return int(at_ns), at_id
    except (binascii.Error, UnicodeDecodeError, ValueError):
        pass
    raise InvalidPageTokenError(token)


__all__ = [
    "AuditEvent",
    "AuditOutcome",
    "AuditQuery",
    "AuditStore",
    "InvalidPageTokenError",
]
