"""The request chain and its steps; import from the modules (nothing is
re-exported here, so importing one module loads only what it needs).

Public surface, by module (each lists its own ``__all__``):

* ``gateway``: ``Gateway`` (the facade the API servicers call), ``Backends``,
  ``RoutingSettings``;
* ``chain``: ``Step`` (the protocol operator steps implement), ``Chain``;
* ``context``: ``CallContext``, ``Operation``;
* ``loader``: ``load_steps`` (config paths and the ``llmgw.pipeline_steps``
  entry-point group);
* ``steps``: the built-in steps (plan, admission, budget); ``attempts``: the
  attempt steps; ``streams``: priming and the stream session; ``registry``:
  in-flight attempts and abort;
* ``plan`` (which targets) over ``routing`` (how to order them) and
  ``catalog`` (aliases, overrides); ``resilience`` + ``breaker`` (the attempt
  loop); ``keys`` (per-backend key pools); ``latency``; ``tokens``;
* ``settlement`` (tab, reservation, ledger rows), ``budget`` (the budget
  guard), ``ratelimit`` + ``stream_slots`` (caller limits);
* ``results``: what the facade returns.
"""
