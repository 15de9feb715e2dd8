"""The invoices plugin's permissions. Customers read their own issued invoices (the ``own``
scope becomes ``WHERE customer_id = :me``; drafts stay hidden from them); staff read the
workspace's. Writing, payments and the accountants' export are for owners and admins by
default (a workspace may grant them to staff with a custom role)."""

from __future__ import annotations

from marcus import Permission

READ = "invoices.invoice:read"
WRITE = "invoices.invoice:write"
PAY = "invoices.payment:create"
EXPORT = "invoices.invoice:export"

PERMISSIONS = [
    Permission(
        name=READ,
        description="See invoices and their PDFs (customers: their own)",
        grants={"customer": "own", "staff": "any"},
    ),
    Permission(name=WRITE, description="Create, change, issue, void and file invoices"),
    Permission(name=PAY, description="Record payments received for invoices"),
    Permission(name=EXPORT, description="Export the workspace's invoices as CSV for the accountants"),
]
