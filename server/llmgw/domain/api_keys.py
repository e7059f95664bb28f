"""Gateway API keys as the admin plane and the authenticator see them.

An ``ApiKeyRecord`` is everything about a key except its secret: the secret
(``llmgw_...``) is shown once, at creation or rotation, and only its hash is
stored. ``principal()`` is the identity the key proves; ``state_at(now)`` is
derived from the revoke and expiry times (never stored), so an expired key
stops working at its expiry instant on every replica without a writer.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from llmgw.domain.principal import Principal, Scope

SECRET_PREFIX = "llmgw_"
KEY_ID_PATTERN = r"^[a-z0-9][a-z0-9-]{0,62}$"


class KeyState(StrEnum):
    ACTIVE = "active"
    REVOKED = "revoked"
    EXPIRED = "expired"


@dataclass(frozen=True, slots=True)
class ApiKeyRecord:
    """A key's metadata. Times are Unix seconds; ``None`` = never / not yet.

    ``secret_prefix`` is the first characters of the current secret (to
    recognise it in a list), never enough to guess it.
    """

    key_id: str
    tenant: str
    display_name: str = ""
    project: str = ""
    projects: frozenset[str] = frozenset()
    end_user: str = ""
    scopes: frozenset[Scope] = frozenset()
    models: frozenset[str] = frozenset()
    rpm: int = 0
    input_tpm: int = 0
    output_tpm: int = 0
    expire_time: float | None = None
    create_time: float = 0.0
    revoke_time: float | None = None
    rotate_time: float | None = None
    secret_prefix: str = ""

    def state_at(self, now: float) -> KeyState:
        if self.revoke_time is not None and self.revoke_time <= now:
            return KeyState.REVOKED
        if self.expire_time is not None and self.expire_time <= now:
            return KeyState.EXPIRED
        return KeyState.ACTIVE

    def principal(self) -> Principal:
        """The identity this key proves (the ledger and audit name ``key_id``)."""
        return Principal(
            subject=f"apiKeys/{self.key_id}",
            tenant=self.tenant,
            project=self.project,
            projects=self.projects,
            end_user=self.end_user,
            key_id=self.key_id,
            scopes=self.scopes,
            models=self.models,
            rpm=self.rpm,
            input_tpm=self.input_tpm,
            output_tpm=self.output_tpm,
        )
