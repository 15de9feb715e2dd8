"""The invoices plugin: invoices with line items and tax, per-workspace numbering, payments,
overdue automation, a branded PDF and a CSV export.

Parts: ``plugin`` (manifest and hooks, the entry point), ``models`` (invoices, lines,
payments, number counters), ``totals`` (Decimal arithmetic and the rounding rule),
``numbering`` (patterns and gap-free numbers), ``service`` (reading, searching, drafts),
``lifecycle`` (the state machine: issuing, payments, voiding, overdue), ``schemas``,
``router`` (``/api/v1/invoices``), ``pdf`` (the branded PDF), ``export`` (CSV), ``events``,
``permissions``, ``jobs`` (``invoices.mark_overdue``) and ``settings`` (per-workspace settings).
"""
