"""Gateway API keys in the shared state database (SQLite or PostgreSQL).

Secrets are ``llmgw_`` + 43 URL-safe characters from ``secrets.token_urlsafe``
(256 random bits). Only ``SHA-256(secret)`` is stored, and lookups go by that
hash. A plain, unsalted, fast hash is the right tool here, unlike for
passwords: salting and slow KDFs exist to stop dictionary and brute-force
attacks on low-entropy human secrets, and a 256-bit random secret has no
dictionary and cannot be brute-forced, so a stolen table reveals nothing
useful while the hot path stays a single hash. (The bootstrap admin key comes
from an operator, so configuration requires it to be at least 32 characters.)

Tables:

* ``api_keys``: one row per key id (tenant, scopes, limits, expiry,
  revoke/rotate times, the secret's first characters for recognition).
* ``api_key_secrets``: secret hash -> key id, with ``not_after`` set on a
  rotated-out secret that keeps working for a grace period (``NULL`` for the
  current one). Rotation without grace deletes the old hash.

Every statement is parameterised (LiteLLM's key-verification SQL injection,
GHSA-r75f-5x8p-qvmc, is the counter-example). Revocation and expiry are read
by the authenticator's cache, which bounds how fast they reach other replicas
(see ``auth/authenticator.py``).
"""

from __future__ import annotations

import hashlib
import json
import secrets
import time
from dataclasses import dataclass

from llmgw.domain.api_keys import SECRET_PREFIX, ApiKeyRecord
from llmgw.domain.errors import ApiKeyNotFoundError, FieldViolation, InvalidRequestError
from llmgw.domain.principal import Scope
from llmgw.storage.database import Database, Row, migrate

_VISIBLE_CHARS = 4  # of the random part, shown as secret_prefix ("llmgw_Ab3d")

_MIGRATION = (
    """CREATE TABLE IF NOT EXISTS api_keys (
        key_id TEXT PRIMARY KEY,
        tenant TEXT NOT NULL,
        display_name TEXT NOT NULL,
        project TEXT NOT NULL,
        projects TEXT NOT NULL,
        end_user TEXT NOT NULL,
        scopes TEXT NOT NULL,
        models TEXT NOT NULL,
        rpm BIGINT NOT NULL,
        input_tpm BIGINT NOT NULL,
        output_tpm BIGINT NOT NULL,
        expire_time DOUBLE PRECISION,
        create_time DOUBLE PRECISION NOT NULL,
        revoke_time DOUBLE PRECISION,
        rotate_time DOUBLE PRECISION,
        secret_prefix TEXT NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS api_key_secrets (
        secret_hash TEXT PRIMARY KEY,
        key_id TEXT NOT NULL,
        not_after DOUBLE PRECISION
    )""",
    "CREATE INDEX IF NOT EXISTS api_key_secrets_by_key ON api_key_secrets (key_id)",
)

_COLUMNS = (
    "key_id, tenant, display_name, project, projects, end_user, scopes, models, rpm,"
    " input_tpm, output_tpm, expire_time, create_time, revoke_time, rotate_time, secret_prefix"
)
_QUALIFIED = ", ".join(f"k.{c.strip()}" for c in _COLUMNS.split(","))


def new_secret() -> str:
    """A fresh key secret: ``llmgw_`` + 256 random bits, URL-safe."""
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def hash_secret(secret: str) -> str:
    """Hex SHA-256 of the whole secret (what is stored and looked up)."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def visible_prefix(secret: str) -> str:
    """The part of a secret safe to show: ``llmgw_`` + 4 characters."""
    head = len(SECRET_PREFIX) if secret.startswith(SECRET_PREFIX) else 0
    return secret[: head + _VISIBLE_CHARS]


@dataclass(frozen=True, slots=True)
class SecretMatch:
    """A stored secret's key, and until when this secret works (``None`` = as
    long as the key does: not revoked, not expired)."""

    record: ApiKeyRecord
    not_after: float | None
    secret_hash: str


class ApiKeyStore:
    """Create, read, rotate and revoke keys; look a secret up by its hash."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def migrate(self) -> None:
        await migrate(self._db, "0100_api_keys", _MIGRATION)

    async def create(self, record: ApiKeyRecord, secret_hash: str) -> ApiKeyRecord:
        """Insert a key and its first secret; ``InvalidRequestError`` if the id is taken."""
        async with self._db.transaction() as tx:
            taken = await tx.fetch("SELECT 1 FROM api_keys WHERE key_id = ?", record.key_id)
            if taken:
                raise InvalidRequestError(
                    (FieldViolation("key_id", "this key id already exists", "ALREADY_EXISTS"),)
                )
            await tx.execute(
                f"INSERT INTO api_keys ({_COLUMNS}) VALUES"
                " (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                *_values(record),
            )
            await tx.execute(
                "INSERT INTO api_key_secrets (secret_hash, key_id, not_after) VALUES (?, ?, NULL)",
                secret_hash,
                record.key_id,
            )
        return record

    async def exists(self, key_id: str) -> bool:
        return bool(await self._db.fetch("SELECT 1 FROM api_keys WHERE key_id = ?", key_id))

    async def get(self, key_id: str) -> ApiKeyRecord:
        rows = await self._db.fetch(f"SELECT {_COLUMNS} FROM api_keys WHERE key_id = ?", key_id)
        if not rows:
            raise ApiKeyNotFoundError(f"apiKeys/{key_id}")
        return _record(rows[0])

    async def list(
        self, *, tenant: str, include_inactive: bool, now: float, offset: int, limit: int
    ) -> list[ApiKeyRecord]:
        """Keys newest first (ties by id); active only unless ``include_inactive``."""
        where: list[str] = ["1 = 1"]
        args: list[object] = []
        if tenant:
            where.append("tenant = ?")
            args.append(tenant)
        if not include_inactive:
            where.append("revoke_time IS NULL AND (expire_time IS NULL OR expire_time > ?)")
            args.append(now)
        rows = await self._db.fetch(
            f"SELECT {_COLUMNS} FROM api_keys WHERE {' AND '.join(where)}"
            " ORDER BY create_time DESC, key_id LIMIT ? OFFSET ?",
            *args,
            limit,
            offset,
        )
        return [_record(r) for r in rows]

    async def lookup(self, secret_hash: str) -> SecretMatch | None:
        """The key a secret hash belongs to, whatever its state (callers check)."""
        rows = await self._db.fetch(
            f"SELECT {_QUALIFIED}, s.not_after, s.secret_hash FROM api_key_secrets s"
            " JOIN api_keys k ON k.key_id = s.key_id WHERE s.secret_hash = ?",
            secret_hash,
        )
        if not rows:
            return None
        return SecretMatch(_record(rows[0][:-2]), rows[0][-2], str(rows[0][-1]))

    async def rotate(
        self, key_id: str, secret_hash: str, prefix: str, *, now: float, grace: float
    ) -> ApiKeyRecord:
        """Add a new secret; older ones stop at ``now + grace`` (at once when 0)."""
        async with self._db.transaction() as tx:
            rows = await tx.fetch(f"SELECT {_COLUMNS} FROM api_keys WHERE key_id = ?", key_id)
            if not rows:
                raise ApiKeyNotFoundError(f"apiKeys/{key_id}")
            if _record(rows[0]).revoke_time is not None:
                raise InvalidRequestError(
                    (FieldViolation("name", "a revoked key cannot be rotated", "KEY_REVOKED"),)
                )
            if grace > 0:
                until = now + grace
                await tx.execute(
                    "UPDATE api_key_secrets SET not_after = ?"
                    " WHERE key_id = ? AND (not_after IS NULL OR not_after > ?)",
                    until,
                    key_id,
                    until,
                )
            else:
                await tx.execute("DELETE FROM api_key_secrets WHERE key_id = ?", key_id)
            await tx.execute(
                "DELETE FROM api_key_secrets WHERE key_id = ? AND not_after <= ?", key_id, now
            )
            await tx.execute(
                "INSERT INTO api_key_secrets (secret_hash, key_id, not_after) VALUES (?, ?, NULL)",
                secret_hash,
                key_id,
            )
            await tx.execute(
                "UPDATE api_keys SET rotate_time = ?, secret_prefix = ? WHERE key_id = ?",
                now,
                prefix,
                key_id,
            )
            rows = await tx.fetch(f"SELECT {_COLUMNS} FROM api_keys WHERE key_id = ?", key_id)
        return _record(rows[0])

    async def revoke(self, key_id: str, *, now: float) -> ApiKeyRecord:
        """Mark revoked (idempotent: a second revoke keeps the first time)."""
        async with self._db.transaction() as tx:
            rows = await tx.fetch("SELECT 1 FROM api_keys WHERE key_id = ?", key_id)
            if not rows:
                raise ApiKeyNotFoundError(f"apiKeys/{key_id}")
            await tx.execute(
                "UPDATE api_keys SET revoke_time = ? WHERE key_id = ? AND revoke_time IS NULL",
                now,
                key_id,
            )
            await tx.execute("DELETE FROM api_key_secrets WHERE key_id = ?", key_id)
            rows = await tx.fetch(f"SELECT {_COLUMNS} FROM api_keys WHERE key_id = ?", key_id)
        return _record(rows[0])


def _values(record: ApiKeyRecord) -> tuple[object, ...]:
    return (
        record.key_id,
        record.tenant,
        record.display_name,
        record.project,
        json.dumps(sorted(record.projects)),
        record.end_user,
        json.dumps(sorted(record.scopes)),
        json.dumps(sorted(record.models)),
        record.rpm,
        record.input_tpm,
        record.output_tpm,
        record.expire_time,
        record.create_time,
        record.revoke_time,
        record.rotate_time,
        record.secret_prefix,
    )


def _record(row: Row) -> ApiKeyRecord:
    return ApiKeyRecord(
        key_id=row[0],
        tenant=row[1],
        display_name=row[2],
        project=row[3],
        projects=frozenset(json.loads(row[4])),
        end_user=row[5],
        scopes=frozenset(Scope(s) for s in json.loads(row[6])),
        models=frozenset(json.loads(row[7])),
        rpm=int(row[8]),
        input_tpm=int(row[9]),
        output_tpm=int(row[10]),
        expire_time=row[11],
        create_time=float(row[12]),
        revoke_time=row[13],
        rotate_time=row[14],
        secret_prefix=row[15],
    )


BOOTSTRAP_KEY_ID = "bootstrap-admin"


async def ensure_bootstrap_key(store: ApiKeyStore, secret: str, now: float | None = None) -> bool:
    """Create the ``bootstrap-admin`` key (every scope, tenant ``default``)
    from ``LLMGW_ADMIN_KEY`` on first start; True when this call created it.

    Once the key id exists (later starts, other replicas, or after an
    operator rotated or revoked it through the admin plane) nothing changes:
    the environment never resurrects a revoked or rotated key.
    """
    if await store.exists(BOOTSTRAP_KEY_ID):
        return False
    record = ApiKeyRecord(
        key_id=BOOTSTRAP_KEY_ID,
        tenant="default",
        display_name="bootstrap admin (LLMGW_ADMIN_KEY)",
        scopes=frozenset(Scope),
        create_time=time.time() if now is None else now,
        secret_prefix=visible_prefix(secret),
    )
    try:
        await store.create(record, hash_secret(secret))
    except InvalidRequestError:
        return False  # another replica created it first
    return True


__all__ = [
    "BOOTSTRAP_KEY_ID",
    "ApiKeyStore",
    "SecretMatch",
    "ensure_bootstrap_key",
    "hash_secret",
    "new_secret",
    "visible_prefix",
]
