"""Builders of the composition root's sub-systems, one module per sub-system.

Only ``llmgw.app`` imports this package (import-linter: the layer right below
``app``); it owns nothing and reads no environment or file itself: settings
and already-read values come in, built objects go out, and whatever needs
closing is pushed on the caller's ``AsyncExitStack``.
"""
