"""The services plugin: the workspace's catalogue of bookable services.

Parts: ``plugin`` (manifest and hooks, the entry point), ``models`` (``Service``,
``Category``), ``service`` (operations, including ``get_bookable_service`` for the
appointments plugin), ``schemas``, ``router`` (``/api/v1/services``), ``events`` (activity
entries, image clean-up), ``permissions``, ``settings`` (per-workspace settings), ``slugs``
and ``images`` (image files until the kernel storage takes them over).
"""
