"""The configuration schema's security sections: caller authentication
(``auth:``, API keys and JWT) and TLS/mTLS (``tls:``). Re-exported by
``llmgw.config.schema``, where ``Settings`` holds them."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator

from llmgw.config.strict import Strict as _Strict
from llmgw.domain.principal import Scope

JwtAlgorithm = Literal[
    "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "EdDSA",
    "HS256", "HS384", "HS512",
]
_HMAC = {"HS256", "HS384", "HS512"}


class JwtConfig(_Strict):
    """JWT bearer tokens; configured when ``issuer`` is set. ``audience`` and a
    key source are then required: ``jwks_url`` (fetched in the background) or
    ``public_key_file`` (PEM) for public-key algorithms, ``secret_env`` (the
    env var holding the HMAC secret) for HS*. Mixing HS* with public-key
    algorithms is refused (HS/RS confusion)."""

    issuer: str = ""
    audience: str = ""
    algorithms: list[JwtAlgorithm] = Field(default_factory=lambda: ["RS256"], min_length=1)  # type: ignore[arg-type]
    jwks_url: str = ""
    jwks_refresh_seconds: float = Field(default=300.0, gt=0)
    public_key_file: str = ""
    secret_env: str = ""
    leeway_seconds: float = Field(default=30.0, ge=0, le=300)
    admin_role_claim: str = "roles"
    admin_role: str = "admin"
    scope_claim: str = "scope"
    tenant_claim: str = "tenant"
    project_claim: str = "project"

    @model_validator(mode="after")
    def _consistent(self) -> JwtConfig:
        if not self.issuer:
            return self
        hmac = set(self.algorithms) & _HMAC
        if not self.audience:
            raise ValueError("auth.jwt.audience is required when issuer is set")
        if hmac and len(hmac) != len(set(self.algorithms)):
            raise ValueError("auth.jwt.algorithms: do not mix HS* with public-key algorithms")
        if hmac and not self.secret_env:
            raise ValueError("auth.jwt.secret_env is required for HS* algorithms")
        if not hmac and not (self.jwks_url or self.public_key_file):
            raise ValueError("auth.jwt: set jwks_url or public_key_file")
        if self.jwks_url and not self.jwks_url.startswith(("https://", "http://")):
            raise ValueError("auth.jwt.jwks_url must be an http(s) URL")
        return self


class AuthConfig(_Strict):
    """Caller authentication (API keys, JWT).

    On when ``enabled`` is true, a bootstrap admin key is given
    (``LLMGW_ADMIN_KEY`` / ``LLMGW_ADMIN_KEY_FILE``) or ``jwt.issuer`` is set;
    otherwise off, which ``llmgw serve`` allows only on loopback addresses
    (or with ``--insecure-no-auth``). ``key_cache_ttl_seconds`` bounds how
    long another replica keeps accepting a revoked or rotated-out key.
    """

    enabled: bool = False
    bootstrap_admin_key: SecretStr = Field(default=SecretStr(""), repr=False)
    key_cache_ttl_seconds: float = Field(default=5.0, ge=0, le=300)
    jwt: JwtConfig = Field(default_factory=JwtConfig)

    @field_validator("bootstrap_admin_key")
    @classmethod
    def _long_enough(cls, value: SecretStr) -> SecretStr:
        if value.get_secret_value() and len(value.get_secret_value().strip()) < 32:
            raise ValueError("the bootstrap admin key must be at least 32 characters")
        return SecretStr(value.get_secret_value().strip())

    @property
    def active(self) -> bool:
        return self.enabled or bool(self.bootstrap_admin_key.get_secret_value()) or bool(
            self.jwt.issuer
        )


class TlsIdentity(_Strict):
    """A client certificate identity (mTLS) and the principal it proves.

    ``match`` is compared exactly with each subject alternative name of the
    verified client certificate (a URI such as ``spiffe://cluster/ns/app/sa/x``
    or a DNS name). The other fields mirror an API key's (``llmgw keys
    create``): ``tenant``, ``project`` (default project), ``projects`` (others
    it may bill), ``scopes`` (``chat``, ``embed``, ``admin:read``,
    ``admin:write``) and ``models`` (empty = every model).
    """

    match: str = Field(min_length=1)
    tenant: str = Field(default="default", min_length=1)
    project: str = ""
    projects: list[str] = Field(default_factory=list)
    scopes: list[Scope] = Field(default_factory=lambda: [Scope.CHAT, Scope.EMBED])
    models: list[str] = Field(default_factory=list)


class TlsConfig(_Strict):
    """TLS on both listeners (``--tls-cert``/``--tls-key``), optionally mTLS.

    Off (plaintext) unless ``cert_file`` is set; ``cert_file`` and
    ``key_file`` go together. ``client_ca_file`` set: every client must
    present a certificate signed by one of these CAs (mTLS). ``identities``
    map a verified client certificate to a principal; they need
    ``client_ca_file`` and count as authentication (a caller may still send an
    API key or JWT instead, which then decides). Files are re-read when they
    change (checked at each new connection), so renewed certificates apply
    without a restart.
    """

    cert_file: str = ""
    key_file: str = ""
    client_ca_file: str = ""
    identities: list[TlsIdentity] = Field(default_factory=list)

    def problem(self) -> str:
        """What is inconsistent, or ``""``. Checked once the ``--tls-*`` flags
        are merged in (not per source: the file may hold the identities and
        the flags the files)."""
        if bool(self.cert_file) != bool(self.key_file):
            return "tls.cert_file and tls.key_file must be set together"
        if self.client_ca_file and not self.cert_file:
            return "tls.client_ca_file needs tls.cert_file and tls.key_file"
        if self.identities and not self.client_ca_file:
            return "tls.identities need tls.client_ca_file (mTLS)"
        return ""

    @property
    def enabled(self) -> bool:
        return bool(self.cert_file)
