"""``POST /user/support``: the public contact form (seed §3.1, row 22).

Differences from the seed (§9.12): no attachment is accepted from this public form (anonymous
uploads fanned out to every admin); the fields are validated and mailed as escaped text through
the kernel's mail templates; one address may send 5 requests an hour (``contact_ip``); the mail
goes to the workspace's owners and admins only.
"""

from __future__ import annotations

import uuid
from datetime import date as Date
from typing import Annotated

from fastapi import Request, status
from fastapi.responses import JSONResponse
from marcus_services import service as services
from pydantic import EmailStr, StringConstraints

import marcus
from marcus_compat.envelope import CompatModel, CompatRouter, ok, request_fields, validate

router = CompatRouter(prefix="/user")
Line = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
OptionalLine = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] | None
ADMIN_ROLES = ("owner", "admin")


class SupportIn(CompatModel):
    first_name: Line
    last_name: Line
    company_name: Line
    email: EmailStr
    service_id: uuid.UUID
    message: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=5000)]
    street_and_house_number: OptionalLine = None
    zip_code: OptionalLine = None
    country: OptionalLine = None
    city: OptionalLine = None
    date: Date | None = None
    time: OptionalLine = None
    subject: OptionalLine = None
    is_privacy_policy_accepted: bool | None = None
    phone_number: OptionalLine = None


def _text(form: SupportIn, service_name: str) -> str:
    rows = [
        ("Name", f"{form.first_name} {form.last_name}"),
        ("Company", form.company_name),
        ("E-mail", str(form.email)),
        ("Phone", form.phone_number),
        ("Service", service_name),
        ("Address", ", ".join(p for p in (form.street_and_house_number, form.zip_code, form.city, form.country) if p)),
        ("Preferred date", " ".join(str(p) for p in (form.date, form.time) if p)),
        ("Privacy policy accepted", {True: "yes", False: "no", None: None}[form.is_privacy_policy_accepted]),
    ]
    lines = [f"{label}: {value}" for label, value in rows if value]
    return "\n".join([*lines, "", form.message])


@router.post("/support", status_code=status.HTTP_201_CREATED, summary="Contact form (mails the workspace's admins)")
async def send_support_request(
    request: Request,
    session: marcus.SessionDep,
    tenant: marcus.CurrentTenant,
    limiter: marcus.RateLimiterDep,
) -> JSONResponse:
    """Validate the form and mail it, escaped, to the owners and admins; no attachments."""
    fields, files, _ = await request_fields(request)
    if files:
        raise marcus.Invalid(
            "Attachments are not accepted on the public support form.",
            code="upload_not_accepted",
            errors=[{"field": "file", "message": "not accepted"}],
        )
    form = validate(SupportIn, fields)
    await limiter.check("contact_ip", marcus.client_ip(request))
    service = await services.get_service(session, org_id=tenant.id, service_id=form.service_id)
    title = f"Support-{form.subject or 'Inquiry'}"
    message = _text(form, service.name)
    for role in ADMIN_ROLES:
        page, _ = await marcus.users_service.list_users(
            session, org_id=tenant.id, role=role, blocked=False, page=1, limit=100
        )
        for admin in page.items:
            await marcus.send_mail(
                session,
                to=admin.email,
                template="notification",
                context={"title": title, "message": message},
                tenant=tenant,
            )
    await session.commit()
    return ok(None, "Support Request Sent Successfully", 201)
