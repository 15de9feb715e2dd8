"""The compat plugin: the single-business backend's HTTP contract (seed-api.md), unchanged for
its existing clients, as a thin mapping onto the same services as ``/api/v1``.

Parts: ``plugin`` (manifest and hooks, the entry point), ``envelope`` (the seed's envelope,
errors, pagination, multipart ``data`` convention, enum spellings, bare-token header), and one
module per seed area, each exposing ``router``: ``root``, ``users``, ``feed`` (activities,
notifications, admin notifications, dashboard), ``blog`` (posts and comments), ``catalogue``
(services), ``workspace`` (``/admin-general``), ``schedule``, ``appointments``, ``documents``,
``invoices``. See docs/compat.md for every route and each deliberate difference.
"""
