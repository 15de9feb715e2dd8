"""The isolation matrix's route table: every operation of the OpenAPI schema classified, and
the seeded objects its parameters take (``matrix.py`` turns it into requests and expectations).

Each route of the schema is either in ``ROUTES`` (it touches tenant data: the matrix runs it
for every role) or in ``NO_TENANT_DATA`` with the reason. ``test_meta.py`` fails on a route in
neither, so a new route — a plugin's, or the ``compat`` plugin's seed-API paths — must be
classified before the suite passes again.

Audiences (who may see A's rows a route returns):

* ``public``  — anyone on A's host (published posts, active services, signed links);
* ``member``  — any signed-in person of A (e.g. avatars, shown next to comments);
* ``customer`` — a customer's own rows (path ids are Alice's) and staff;
* ``self``    — the caller's own account and rows (``/me``, notifications, activity, dashboard);
* ``staff``   — owner, admin and staff only.

Roles: ``anonymous`` (A's host, no token), ``alice`` (customer of A, owner of the customer
rows in the paths), ``bob`` (another customer of A), ``owner`` (A's owner: the control),
``b_admin`` (B's admin on B's host, sending A's ids) and ``b_token`` (B's admin's token sent to
A's host, through A's custom domain).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

ROLES = ("anonymous", "alice", "bob", "owner", "b_admin", "b_token")


@dataclass(frozen=True)
class Ref:
    """A value taken from the target workspace's seeded objects (``Workspace.objects``)."""

    name: str


@dataclass(frozen=True, kw_only=True)
class Route:
    """How the matrix treats one operation.

    ``params`` maps path or query parameters to seeded objects where the name alone is
    ambiguous; ``body`` is merged over the body generated from the request schema;
    ``customers_write``: a customer may legitimately do this write (book, upload, comment),
    so only the other roles attack it; ``capability_of``: the path carries a secret link of
    that customer (a signed file URL, a calendar feed), so whoever holds it on A's host sees
    that customer's rows; ``roles`` limits the roles (for routes that end the caller's own
    session or account). Routes without a request schema (compat's, which parse the seed's
    bodies themselves) send ``body`` as JSON, or ``form`` as the seed's multipart ``data`` JSON
    field with a file in each of ``files``. ``control_params`` replace ``params`` in the owner's
    control only (when another route's control already removed the row).
    """

    audience: str
    params: dict[str, Any] = field(default_factory=dict)
    body: dict[str, Any] | None = None
    customers_write: bool = False
    capability_of: str | None = None
    roles: tuple[str, ...] = ROLES
    form: dict[str, Any] | None = None
    files: tuple[str, ...] = ()
    file_type: str = "pdf"
    control_params: dict[str, Any] = field(default_factory=dict)
    why: str = ""


# Path and query parameter names -> the seeded object they take (A's for attacks, C's for controls).
PARAMS: dict[str, str] = {
    "appointment_id": "alice_appointment",
    "attachment_id": "alice_attachment",
    "category_id": "category_id",
    "comment_id": "comment_id",
    "document_id": "alice_document",
    "event": "event",
    "file_id": "alice_file",
    "invoice_id": "alice_invoice",
    "message_id": "message_id",
    "name": "role_name",
    "notification_id": "notification_id",
    "override_id": "override_id",
    "post_id": "post_id",
    "rule_id": "rule_id",
    "service_id": "service_id",
    "slot_id": "spare_slot",
    "user_id": "alice_id",
}

# Body fields that reference other rows -> the seeded object they take.
BODY_REFS: dict[str, str] = {
    "appointment_id": "alice_appointment",
    "blogId": "post_id",
    "blog_id": "post_id",
    "category_id": "category_id",
    "customer_id": "alice_id",
    "invoice_id": "alice_invoice",
    "post_id": "post_id",
    "service_id": "service_id",
    "slot_id": "slot_id",
    "staff_id": "staff_id",
    "user_id": "alice_id",
}

STAFF, CUSTOMER, SELF, MEMBER, PUBLIC = "staff", "customer", "self", "member", "public"
SESSION_ROLES = ("anonymous", "b_token")  # routes that would end the caller's own session or account

# fmt: off
ROUTES: dict[str, Route] = {
    # kernel: notifications, activity, dashboard
    "GET /api/v1/notifications": Route(audience=SELF),
    "GET /api/v1/notifications/unread-count": Route(audience=SELF),
    "POST /api/v1/notifications/{notification_id}/read": Route(audience=CUSTOMER),
    "POST /api/v1/notifications/read-all": Route(audience=SELF, customers_write=True),
    "POST /api/v1/notifications/send": Route(audience=STAFF, body={"user_ids": [Ref("alice_id")]}),
    "GET /api/v1/notifications/preferences": Route(audience=STAFF, why="the workspace's choices per event"),
    "PUT /api/v1/notifications/preferences/{event}": Route(audience=STAFF),
    "GET /api/v1/activities": Route(audience=SELF, why="customers read their own activity, staff all"),
    "GET /api/v1/dashboard": Route(audience=SELF, why="customers see their own figures, staff the workspace's"),
    # kernel: roles and settings
    "GET /api/v1/roles": Route(audience=STAFF),
    "POST /api/v1/roles": Route(audience=STAFF, body={"name": "matrixrole"}),
    "GET /api/v1/roles/permissions": Route(audience=STAFF),
    "GET /api/v1/roles/{name}": Route(audience=STAFF),
    "PATCH /api/v1/roles/{name}": Route(audience=STAFF, body={"description": "changed"}),
    "DELETE /api/v1/roles/{name}": Route(audience=STAFF),
    "GET /api/v1/roles/users/{user_id}": Route(audience=STAFF),
    "POST /api/v1/roles/users/{user_id}": Route(audience=STAFF, body={"role": Ref("role_name")}),
    "DELETE /api/v1/roles/users/{user_id}/{role}": Route(audience=STAFF, params={"role": Ref("role_name")}),
    "GET /api/v1/settings": Route(audience=PUBLIC, why="the workspace's public profile (name, currency, logo)"),
    "PATCH /api/v1/settings": Route(audience=STAFF, body={"slogan": "changed by the matrix"}),
    "GET /api/v1/settings/plugins": Route(audience=STAFF),
    "GET /api/v1/settings/logo": Route(audience=PUBLIC),
    "PUT /api/v1/settings/logo": Route(audience=STAFF),
    "DELETE /api/v1/settings/logo": Route(audience=STAFF),
    "GET /api/v1/files/{token}": Route(audience=PUBLIC, params={"token": Ref("file_token")}, capability_of="alice"),
    # kernel: me, users, mail
    "POST /api/v1/auth/logout": Route(audience=SELF, roles=SESSION_ROLES, body={"refresh_token": "x" * 40}),
    "POST /api/v1/auth/logout-all": Route(audience=SELF, roles=SESSION_ROLES),
    "POST /api/v1/auth/password/change": Route(audience=SELF, roles=SESSION_ROLES),
    "GET /api/v1/me": Route(audience=SELF),
    "DELETE /api/v1/me": Route(audience=SELF, roles=SESSION_ROLES),
    "PATCH /api/v1/me": Route(audience=SELF, customers_write=True, body={"city": "Matrixville"}),
    "POST /api/v1/me/email/verify": Route(audience=SELF, customers_write=True, body={"code": "123456"}),
    "PUT /api/v1/me/avatar": Route(audience=SELF, customers_write=True),
    "GET /api/v1/users": Route(audience=STAFF),
    "POST /api/v1/users": Route(audience=STAFF),
    "GET /api/v1/users/{user_id}": Route(audience=STAFF),
    "DELETE /api/v1/users/{user_id}": Route(audience=STAFF),
    "GET /api/v1/users/{user_id}/avatar": Route(audience=MEMBER, why="any signed-in member of the workspace"),
    "POST /api/v1/users/{user_id}/block": Route(audience=STAFF),
    "POST /api/v1/users/{user_id}/unblock": Route(audience=STAFF),
    "PUT /api/v1/users/{user_id}/role": Route(audience=STAFF, body={"role": "staff"}),
    "GET /api/v1/mail/messages": Route(audience=STAFF),
    "POST /api/v1/mail/messages/{message_id}/retry": Route(audience=STAFF),
    # services
    "GET /api/v1/services/categories": Route(audience=PUBLIC),
    "POST /api/v1/services/categories": Route(audience=STAFF),
    "PATCH /api/v1/services/categories/{category_id}": Route(audience=STAFF, body={"description": "changed"}),
    "DELETE /api/v1/services/categories/{category_id}": Route(audience=STAFF),
    "GET /api/v1/services": Route(audience=PUBLIC),
    "POST /api/v1/services": Route(audience=STAFF),
    "GET /api/v1/services/{slug}": Route(audience=PUBLIC, params={"slug": Ref("service_slug")}),
    "PATCH /api/v1/services/{service_id}": Route(audience=STAFF, body={"description": "changed"}),
    "DELETE /api/v1/services/{service_id}": Route(audience=STAFF),
    "POST /api/v1/services/{service_id}/archive": Route(audience=STAFF),
    "PUT /api/v1/services/{service_id}/image": Route(audience=STAFF),
    "DELETE /api/v1/services/{service_id}/image": Route(audience=STAFF),
    "GET /api/v1/services/{service_id}/image": Route(audience=PUBLIC),
    # appointments: schedule
    "GET /api/v1/appointments/rules": Route(audience=STAFF),
    "POST /api/v1/appointments/rules": Route(audience=STAFF, body={"start_time": "09:00", "end_time": "12:00"}),
    "DELETE /api/v1/appointments/rules/{rule_id}": Route(audience=STAFF),
    "GET /api/v1/appointments/overrides": Route(audience=STAFF),
    "POST /api/v1/appointments/overrides": Route(audience=STAFF, body={"kind": "closed"}),
    "DELETE /api/v1/appointments/overrides/{override_id}": Route(audience=STAFF),
    "POST /api/v1/appointments/slots/generate": Route(audience=STAFF),
    "POST /api/v1/appointments/slots/generate-day": Route(audience=STAFF, body={"start_time": "09:00",
                                                                                 "end_time": "11:00"}),
    "GET /api/v1/appointments/slots": Route(audience=CUSTOMER, why="signed-in customers see the slots"),
    "DELETE /api/v1/appointments/slots": Route(audience=STAFF, params={"date": Ref("slot_day")}),
    "PATCH /api/v1/appointments/slots/{slot_id}": Route(audience=STAFF),
    "DELETE /api/v1/appointments/slots/{slot_id}": Route(audience=STAFF),
    # appointments: bookings
    "POST /api/v1/appointments": Route(audience=CUSTOMER, customers_write=True),
    "GET /api/v1/appointments": Route(audience=CUSTOMER),
    "GET /api/v1/appointments/export/pdf": Route(audience=CUSTOMER),
    "POST /api/v1/appointments/calendar-feed": Route(audience=SELF, customers_write=True),
    "DELETE /api/v1/appointments/calendar-feed": Route(audience=SELF, customers_write=True),
    "GET /api/v1/appointments/calendar/{token}.ics": Route(audience=PUBLIC, params={"token": Ref("calendar_token")},
                                                           capability_of="alice"),
    "GET /api/v1/appointments/{appointment_id}": Route(audience=CUSTOMER),
    "PATCH /api/v1/appointments/{appointment_id}": Route(audience=CUSTOMER, body={"note": "changed"}),
    "POST /api/v1/appointments/{appointment_id}/cancel": Route(audience=CUSTOMER),
    "POST /api/v1/appointments/{appointment_id}/reschedule": Route(audience=CUSTOMER),
    "POST /api/v1/appointments/{appointment_id}/approve": Route(audience=STAFF),
    "POST /api/v1/appointments/{appointment_id}/complete": Route(audience=STAFF),
    "POST /api/v1/appointments/{appointment_id}/no-show": Route(audience=STAFF),
    "GET /api/v1/appointments/{appointment_id}/calendar.ics": Route(audience=CUSTOMER),
    "GET /api/v1/appointments/{appointment_id}/attachments": Route(audience=CUSTOMER),
    "POST /api/v1/appointments/{appointment_id}/attachments": Route(audience=CUSTOMER),
    "GET /api/v1/appointments/{appointment_id}/attachments/{attachment_id}/link": Route(audience=CUSTOMER),
    "DELETE /api/v1/appointments/{appointment_id}/attachments/{attachment_id}": Route(audience=CUSTOMER),
    # blog
    "GET /api/v1/blog/posts": Route(audience=PUBLIC),
    "POST /api/v1/blog/posts": Route(audience=STAFF),
    "GET /api/v1/blog/posts/by-slug/{slug}": Route(audience=PUBLIC, params={"slug": Ref("post_slug")}),
    "GET /api/v1/blog/posts/{post_id}": Route(audience=PUBLIC),
    "PATCH /api/v1/blog/posts/{post_id}": Route(audience=STAFF, body={"excerpt": "changed"}),
    "DELETE /api/v1/blog/posts/{post_id}": Route(audience=STAFF),
    "PUT /api/v1/blog/posts/{post_id}/image": Route(audience=STAFF),
    "DELETE /api/v1/blog/posts/{post_id}/image": Route(audience=STAFF),
    "GET /api/v1/blog/posts/{post_id}/image": Route(audience=PUBLIC),
    "GET /api/v1/blog/categories": Route(audience=PUBLIC),
    "GET /api/v1/blog/tags": Route(audience=PUBLIC),
    "GET /api/v1/blog/posts/{post_id}/comments": Route(audience=PUBLIC),
    "POST /api/v1/blog/posts/{post_id}/comments": Route(audience=PUBLIC, customers_write=True),
    "GET /api/v1/blog/comments": Route(audience=STAFF),
    "POST /api/v1/blog/comments/{comment_id}/hide": Route(audience=STAFF),
    "POST /api/v1/blog/comments/{comment_id}/unhide": Route(audience=STAFF, params={"comment_id": Ref("hidden_comment_id")}),
    "DELETE /api/v1/blog/comments/{comment_id}": Route(audience=CUSTOMER, why="Alice's own comment"),
    # documents
    "POST /api/v1/documents": Route(audience=CUSTOMER, customers_write=True),
    "GET /api/v1/documents": Route(audience=CUSTOMER),
    "GET /api/v1/documents/{document_id}": Route(audience=CUSTOMER),
    "PATCH /api/v1/documents/{document_id}": Route(audience=CUSTOMER, body={"description": "changed"}),
    "DELETE /api/v1/documents/{document_id}": Route(audience=CUSTOMER),
    "PUT /api/v1/documents/{document_id}/status": Route(audience=STAFF, body={"status": "InReview"}),
    "GET /api/v1/documents/{document_id}/files/{file_id}/link": Route(audience=CUSTOMER),
    # invoices
    "GET /api/v1/invoices": Route(audience=CUSTOMER),
    "POST /api/v1/invoices": Route(audience=STAFF, body={"customer_id": Ref("alice_id")}),
    "GET /api/v1/invoices/export.csv": Route(audience=STAFF),
    "GET /api/v1/invoices/{invoice_id}": Route(audience=CUSTOMER),
    "PATCH /api/v1/invoices/{invoice_id}": Route(audience=STAFF, params={"invoice_id": Ref("draft_invoice")},
                                                 body={"notes": "changed"}),
    "DELETE /api/v1/invoices/{invoice_id}": Route(audience=STAFF, params={"invoice_id": Ref("draft_invoice")}),
    "POST /api/v1/invoices/{invoice_id}/issue": Route(audience=STAFF, params={"invoice_id": Ref("draft_invoice")}),
    "POST /api/v1/invoices/{invoice_id}/payments": Route(audience=STAFF, body={"amount": "1.00"}),
    "POST /api/v1/invoices/{invoice_id}/void": Route(audience=STAFF),
    "GET /api/v1/invoices/{invoice_id}/pdf": Route(audience=CUSTOMER),
    "POST /api/v1/invoices/{invoice_id}/document": Route(audience=STAFF),
    # compat: the seed's API at its root paths (seed-api.md), mapped onto the same services
    "POST /user/change-password": Route(audience=SELF, roles=SESSION_ROLES,
                                        body={"oldPassword": "wrong password", "newPassword": "another horse battery"}),
    "GET /user/me": Route(audience=SELF),
    "GET /user/dashboard-statics": Route(audience=SELF),
    "PATCH /user/update-profile": Route(audience=SELF, customers_write=True, body={"city": "Matrixville"}),
    "DELETE /user/delete-myself-account": Route(audience=SELF, roles=SESSION_ROLES),
    "GET /user": Route(audience=STAFF),
    "POST /user/create-user-without-otp": Route(audience=STAFF, body={
        "firstName": "Matrix", "lastName": "Made", "email": "matrix-made@example.com",
        "password": "a long enough password", "role": "CUSTOMER"}),
    "PATCH /user/block-user/{user_id}": Route(audience=STAFF),
    "PATCH /user/unblock-user/{user_id}": Route(audience=STAFF),
    "PATCH /user/change-role/{user_id}": Route(audience=STAFF, body={"role": "staff"}),
    "DELETE /user/delete-user/{user_id}": Route(audience=STAFF, control_params={"user_id": Ref("bob_id")}),
    "GET /activities": Route(audience=SELF),
    "GET /notifications": Route(audience=SELF),
    "PATCH /notifications/read-all": Route(audience=SELF, customers_write=True),
    "PATCH /notifications/{notification_id}/read": Route(audience=CUSTOMER),
    "POST /admin/notifications": Route(audience=STAFF, body={"title": "t", "message": "m", "userIds": [Ref("alice_id")]}),
    "GET /dashboard": Route(audience=SELF),
    "GET /dashboard/stats": Route(audience=SELF),
    "GET /schedule/slots": Route(audience=CUSTOMER, params={"serviceName": Ref("service_name"),
                                                           "date": Ref("slot_day")}),
    "DELETE /schedule/slots": Route(audience=STAFF, params={"serviceName": Ref("service_name"),
                                                           "date": Ref("slot_day")}),
    "POST /schedule/generate": Route(audience=STAFF, body={
        "serviceName": Ref("service_name"), "date": Ref("slot_day"), "startTime": "16:00", "endTime": "17:00",
        "durationMin": 60}),
    "PATCH /schedule/slots/{slot_id}": Route(audience=STAFF, body={"status": "Disabled"}),
    "POST /appointments": Route(audience=CUSTOMER, customers_write=True, body={
        "serviceName": Ref("service_name"), "slotId": Ref("slot_id"), "meetingType": "Virtual"}),
    "GET /appointments/export/pdf": Route(audience=CUSTOMER),
    "GET /appointments": Route(audience=CUSTOMER),
    "GET /appointments/all": Route(audience=CUSTOMER),
    "GET /appointments/{appointment_id}": Route(audience=CUSTOMER),
    "PATCH /appointments/{appointment_id}": Route(audience=CUSTOMER, body={"action": "update", "note": "changed"}),
    "GET /appointments/{appointment_id}/attachments": Route(audience=CUSTOMER),
    "POST /appointments/{appointment_id}/attachments": Route(audience=CUSTOMER, form={}, files=("files",)),
    "DELETE /appointments/{appointment_id}/attachments": Route(audience=CUSTOMER,
                                                               body={"fileUrls": [Ref("alice_attachment")]}),
    "POST /documents": Route(audience=CUSTOMER, customers_write=True, form={"type": "Compliance"}, files=("files",)),
    "GET /documents": Route(audience=CUSTOMER),
    "PATCH /documents/{document_id}": Route(audience=CUSTOMER, body={"description": "changed"}),
    "DELETE /documents/{document_id}": Route(audience=CUSTOMER, control_params={"document_id": Ref("bob_document")}),
    "POST /invoices": Route(audience=STAFF, body={
        "appointmentId": Ref("bob_appointment"), "amount": "10.00", "status": "Pending", "paymentType": "Cash",
        "dueDate": "2031-01-31T00:00:00Z"}),
    "GET /invoices": Route(audience=CUSTOMER),
    "GET /invoices/{invoice_id}": Route(audience=CUSTOMER),
    "GET /invoices/{invoice_id}/pdf": Route(audience=CUSTOMER),
    "PATCH /invoices/{invoice_id}": Route(audience=STAFF, params={"invoice_id": Ref("draft_invoice")},
                                          body={"paymentType": "Cash"}),
    "DELETE /invoices/{invoice_id}": Route(audience=STAFF, params={"invoice_id": Ref("draft_invoice")}),
    "GET /blog": Route(audience=PUBLIC),
    "GET /blog/myself-blogs": Route(audience=STAFF),
    "GET /blog/{slug}": Route(audience=PUBLIC, params={"slug": Ref("post_slug")}),
    "POST /blog": Route(audience=STAFF, file_type="png", files=("file",), form={
        "title": "Matrix", "excerpt": "Matrix", "content": "Matrix", "categories": ["m"], "tags": ["m"]}),
    "PATCH /blog/update-blog/{post_id}": Route(audience=STAFF, body={"excerpt": "changed"}),
    "DELETE /blog/{slug}": Route(audience=STAFF, params={"slug": Ref("post_slug")},
                                 control_params={"slug": Ref("draft_post_slug")}),
    "POST /comment": Route(audience=PUBLIC, customers_write=True),
    "GET /service": Route(audience=PUBLIC),
    "GET /service/{slug}": Route(audience=PUBLIC, params={"slug": Ref("service_slug")}),
    "POST /service": Route(audience=STAFF, file_type="png", files=("file",), form={
        "name": "Matrix service", "description": "Matrix", "category": "Matrix"}),
    "PATCH /service/update-service/{service_id}": Route(audience=STAFF, body={"description": "changed"}),
    "DELETE /service/{slug}": Route(audience=STAFF, params={"slug": Ref("service_slug")},
                                    control_params={"slug": Ref("inactive_service_slug")}),
    "GET /admin-general": Route(audience=PUBLIC, why="the workspace's public profile, as GET /api/v1/settings"),
    "PATCH /admin-general/update": Route(audience=STAFF, body={"slogan": "changed by the matrix"}),
    "PATCH /admin-general/toggle": Route(audience=STAFF, body={"isBlogModuleEnabled": True}),
}

# Routes that read or write no workspace's rows, with the reason.
NO_TENANT_DATA: dict[str, str] = {
    "GET /healthz": "process liveness, no data",
    "GET /readyz": "readiness (database and Redis reachable), no data",
    "GET /metrics": "Prometheus counters of the process, no rows (optionally behind its own token)",
    "POST /api/v1/organizations": "self-serve signup creates a new workspace; reads none",
    "POST /api/v1/platform/auth/login": "platform operators: a non-tenant table, operator tokens",
    "GET /api/v1/platform/organizations": "platform operators only (tenant tokens refused: tests/test_operators.py)",
    "POST /api/v1/platform/organizations/{org_id}/suspend": "platform operators only",
    "POST /api/v1/platform/organizations/{org_id}/resume": "platform operators only",
    "POST /api/v1/auth/register": "public entry point: creates an account in the host's workspace, returns no rows",
    "POST /api/v1/auth/verify": "public entry point: a code sent by mail; test_cross_tenant_credentials covers other hosts",
    "POST /api/v1/auth/resend": "public entry point: answers the same for any email",
    "POST /api/v1/auth/login": "public entry point: test_cross_tenant_credentials proves A's password fails on B",
    "POST /api/v1/auth/login/verify": "public entry point: a code sent by mail",
    "POST /api/v1/auth/refresh": "public entry point: test_cross_tenant_credentials proves A's refresh token fails on B",
    "POST /api/v1/auth/password/forgot": "public entry point: answers the same for any email",
    "POST /api/v1/auth/password/reset": "public entry point: a code sent by mail",
    # compat (seed-api.md): the same public entry points at the seed's paths
    "GET /": "plain-text 'server running' (the seed's root)",
    "POST /user": "public entry point: registration",
    "POST /user/resend-register-otp": "public entry point: answers the same for any email",
    "POST /user/verify-register-otp": "public entry point: a code sent by mail",
    "POST /user/login": "public entry point: password step of the login",
    "POST /user/resend-login-otp": "public entry point: answers the same for any email",
    "POST /user/verify-login-otp": "public entry point: a code sent by mail",
    "POST /user/temp-login": "removed seed hole (password-less login): always refused",
    "POST /user/forgotten-password": "public entry point: answers the same for any email",
    "POST /user/verify-forgotten-password-otp": "public entry point: a code sent by mail",
    "POST /user/support": "public contact form: mails the host workspace's admins, returns no rows",
}
# fmt: on


# Optional query filters naming rows -> the seeded object they take in "filtered" read cases
# (``GET /api/v1/documents?owner_id=<Alice>`` sent by Bob, by B's admin, ...).
FILTERS: dict[str, str] = {
    "appointmentId": "alice_appointment",
    "appointment_id": "alice_appointment",
    "customer_id": "alice_id",
    "entityId": "alice_appointment",
    "entity_id": "alice_appointment",
    "invoiceId": "alice_invoice",
    "invoice_id": "alice_invoice",
    "owner_id": "alice_id",
    "post_id": "post_id",
    "service_id": "service_id",
    "slotId": "alice_slot",
    "slot_id": "alice_slot",
    "userId": "alice_id",
    "user_id": "alice_id",
}

# Seeded values that are not rows of a workspace (the same in every workspace).
GLOBAL_OBJECTS = ("event", "slot_day")
