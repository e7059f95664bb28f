"""Admin changes on domain types and the injected clock (no grpc, no proto).

* ``switching`` -- ``RouteSwitcher``: SwitchBackend (checks, TTL, abort);
* ``backends`` -- ``BackendControl``: create, re-point and retire backends;
* ``probes`` -- ``Prober``: zero-token health probes of the backends;
* ``reload`` -- ``ConfigReloader``: SIGHUP configuration reload.
"""
