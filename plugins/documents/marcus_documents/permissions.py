"""What the documents plugin checks. Customers act on their own documents; only staff (and
owners and admins) move a document through review: nobody approves their own upload."""

from __future__ import annotations

import marcus

READ = "documents.document:read"
CREATE = "documents.document:create"
UPDATE = "documents.document:update"
DELETE = "documents.document:delete"
REVIEW = "documents.document:review"

PERMISSIONS = [
    marcus.Permission(name=READ, description="See documents", grants={"customer": "own", "staff": "any"}),
    marcus.Permission(name=CREATE, description="Upload documents", grants={"customer": "own", "staff": "any"}),
    marcus.Permission(
        name=UPDATE, description="Change a document's name, type, tags", grants={"customer": "own", "staff": "any"}
    ),
    marcus.Permission(name=DELETE, description="Delete documents", grants={"customer": "own", "staff": "any"}),
    marcus.Permission(name=REVIEW, description="Move documents through review", grants={"staff": "any"}),
]
