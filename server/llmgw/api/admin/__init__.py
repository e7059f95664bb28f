"""``AdminService``: the servicer (``servicer.AdminServicer``, convert and
call) and what it converts with: ``views`` (backends, health, routes),
``budgets``, ``costs``, ``metrics``, ``keys`` (API key RPCs), ``audit``
(the audit trail), ``backend_create`` (CreateBackend's request -> spec).
The work itself is in ``llmgw.control`` and the pipeline.
"""
