"""The appointments plugin: availability rules and overrides (``availability``), slots and
their generation (``slots``), booking and the appointment lifecycle (``service``, one SQL
statement per write on the hot paths), exports (``pdf``, ``ics``), live slot updates
(``namespace``) and the API (``router``). ``plugin`` is the entry point the kernel loads.

The invoices plugin books against ``service.get_for_invoice`` and
``service.complete_from_invoice``; see ``plugins/appointments/README.md``.
"""
