"""Credentials -> ``Principal``.

* ``authenticator`` -- ``Authenticator``: API keys (cached, store outages
  bounded) and JWTs;
* ``jwt_verifier`` -- ``JwtVerifier``: signature, issuer, audience, expiry.
"""
