"""HTTP the gateway makes that is not a provider call: JWKS fetches
(``jwks``), budget-alert webhooks (``webhook``), DNS resolved once and pinned
(``dns``), and the SSRF guard for operator-supplied endpoints
(``endpoint_guard``, whose pure address rules are ``domain.endpoints``)."""
