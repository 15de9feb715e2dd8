"""Tenancy: the organization models (``models``), resolving the tenant of a request
(``resolver``), declarative tenant manifests in ``tenants/`` (``manifests``) and the
operations that create and change workspaces (``service``)."""
