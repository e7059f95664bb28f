"""Answers given again: the idempotency record and the response cache.

* ``codec``: a stored answer as JSON bytes (allow-listed types only);
* ``fingerprint``: what identifies a request body (idempotency) and an
  answer (cache key);
* ``replay``: a stored answer as the caller's ``Completion``,
  ``EmbedResult`` or ``StreamSession`` (a stream replays as a stream).
"""
