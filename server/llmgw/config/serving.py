"""Settings -> how the gateway serves: shutdown timing, exposure without
authentication, and the principals client certificates prove (mTLS)."""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

from llmgw.config.schema import DEFAULT_EXPOSED_SHUTDOWN_DELAY, Settings
from llmgw.domain.addresses import is_loopback
from llmgw.domain.principal import Principal


def shutdown_delay(settings: Settings) -> float:
    """Seconds the servers keep accepting after readiness went NOT_SERVING.

    ``shutdown_delay_seconds`` when set; otherwise 0 when both listeners are
    loopback (a local ``llmgw serve`` stops at once on Ctrl-C: nobody routes
    to it) and ``DEFAULT_EXPOSED_SHUTDOWN_DELAY`` (5 s) when a listener is
    reachable from other hosts (endpoint removal takes that long to reach
    kube-proxy and client-side balancers)."""
    if settings.shutdown_delay_seconds is not None:
        return settings.shutdown_delay_seconds
    if is_loopback(settings.listen) and is_loopback(settings.admin_listen):
        return 0.0
    return DEFAULT_EXPOSED_SHUTDOWN_DELAY


def certificate_principals(settings: Settings) -> dict[str, Principal]:
    """``tls.identities`` as SAN -> principal (configuration order kept)."""
    return {
        entry.match: Principal(
            subject=f"certs/{entry.match}",
            tenant=entry.tenant,
            project=entry.project,
            projects=frozenset(entry.projects),
            scopes=frozenset(entry.scopes),
            models=frozenset(entry.models),
        )
        for entry in settings.tls.identities
    }


def authenticates(settings: Settings) -> bool:
    """Whether callers must prove who they are: API keys / JWT are on, or
    mTLS maps client certificates to principals."""
    return settings.auth.active or bool(settings.tls.identities)


def exposure_problem(settings: Settings) -> str:
    """Why this configuration must not start without ``--insecure-no-auth``
    (no authentication and a listener reachable from other hosts), or ``""``."""
    if authenticates(settings):
        return ""
    exposed = [a for a in (settings.listen, settings.admin_listen) if not is_loopback(a)]
    if not exposed:
        return ""
    return (
        f"refusing to listen on {', '.join(exposed)} with authentication off: anyone who can "
        "reach it could use the gateway. Set LLMGW_ADMIN_KEY (or auth.enabled / auth.jwt, or "
        "tls.identities with a client CA), listen on 127.0.0.1, or pass --insecure-no-auth "
        "to accept the risk."
    )


def url_passwords(*urls: str) -> list[str]:
    """Passwords in connection URLs (database, Redis), for the log scrubber."""
    found = []
    for url in urls:
        try:
            password = urlsplit(url).password if url else None
        except ValueError:
            password = None
        if password:
            found += [password, unquote(password)]
    return found
