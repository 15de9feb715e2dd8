"""The appointments plugin's permissions. Customers act on their own appointments (the
``own`` scope becomes ``WHERE customer_id = :me``); staff on the workspace's."""

from __future__ import annotations

from typing import Literal

from marcus import Permission

READ = "appointments.appointment:read"
BOOK = "appointments.appointment:create"
UPDATE = "appointments.appointment:update"
CANCEL = "appointments.appointment:cancel"
RESCHEDULE = "appointments.appointment:reschedule"
MANAGE = "appointments.appointment:manage"
SLOTS_READ = "appointments.slot:read"
SCHEDULE = "appointments.schedule:manage"

OWN_AND_STAFF: dict[str, Literal["any", "own"]] = {"customer": "own", "staff": "any"}

PERMISSIONS = [
    Permission(name=READ, description="See appointments (customers: their own)", grants=OWN_AND_STAFF),
    Permission(name=BOOK, description="Book a slot (customers: for themselves)", grants={"customer": "own"}),
    Permission(name=UPDATE, description="Change an appointment's meeting type, note and files", grants=OWN_AND_STAFF),
    Permission(
        name=CANCEL,
        description="Cancel an appointment (customers: their own, before the cut-off)",
        grants=OWN_AND_STAFF,
    ),
    Permission(name=RESCHEDULE, description="Move an appointment to another free slot", grants=OWN_AND_STAFF),
    Permission(name=MANAGE, description="Approve, complete and mark appointments as no-show", grants={"staff": "any"}),
    Permission(name=SLOTS_READ, description="See the slots of a service", grants={"customer": "any", "staff": "any"}),
    Permission(name=SCHEDULE, description="Manage availability rules, overrides and slots", grants={"staff": "any"}),
]
