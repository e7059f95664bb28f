"""The authentication sub-system: key store, bootstrap admin key, JWT
verifier (JWKS refreshed in the background) and the edge admission's
authenticator."""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import AsyncExitStack

from llmgw.api.admin.keys import KeyAdmin
from llmgw.auth.authenticator import Authenticator
from llmgw.auth.jwt_verifier import JwtVerifier, KeySource, StaticKey
from llmgw.config import Settings, jwt_policy, jwt_public_key, jwt_secret
from llmgw.config.serving import authenticates
from llmgw.observability.logging import get_logger
from llmgw.storage.api_keys import BOOTSTRAP_KEY_ID, ApiKeyStore, ensure_bootstrap_key
from llmgw.storage.database import Database


async def authentication(
    settings: Settings, env: Mapping[str, str] | None, state_db: Database, stack: AsyncExitStack
) -> tuple[Authenticator | None, KeyAdmin]:
    """Key store (always: keys can be made before auth is switched on), the
    bootstrap admin key, the JWT verifier (JWKS refreshed in the background)
    and, when auth is on, the authenticator the edge admission uses. ``env``
    reaches ``config.jwt_secret`` (the config package reads it)."""
    store = ApiKeyStore(state_db)
    await store.migrate()
    auth = settings.auth
    bootstrap = auth.bootstrap_admin_key.get_secret_value()
    if bootstrap and await ensure_bootstrap_key(store, bootstrap):
        get_logger("llmgw").info("bootstrap admin key created", key_id=BOOTSTRAP_KEY_ID)
    if not authenticates(settings):  # API keys / JWT, or mTLS identities
        return None, KeyAdmin(store)
    verifier: JwtVerifier | None = None
    if auth.jwt.issuer:
        keys = await _jwt_keys(settings, env, stack)
        verifier = JwtVerifier(jwt_policy(settings), keys)
    authenticator = Authenticator(store, verifier, cache_ttl=auth.key_cache_ttl_seconds)
    return authenticator, KeyAdmin(store, authenticator)


async def _jwt_keys(
    settings: Settings, env: Mapping[str, str] | None, stack: AsyncExitStack
) -> KeySource:
    """A JWKS fetcher (started; stopped by ``stack``) when ``jwks_url`` is
    set, else the HMAC secret or the PEM public key."""
    jwt_config = settings.auth.jwt
    if not jwt_config.jwks_url:
        return StaticKey(jwt_secret(settings, env) or jwt_public_key(settings))
    from llmgw.outbound.jwks import JwksFetcher  # PyJWT: only with a JWKS URL

    fetcher = JwksFetcher(jwt_config.jwks_url, refresh_seconds=jwt_config.jwks_refresh_seconds)
    await fetcher.start()
    stack.push_async_callback(fetcher.stop)
    return fetcher


__all__ = [
    "authentication",
]
