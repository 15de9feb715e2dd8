"""Mail: an outbox table written in the caller's transaction (``models``, ``service.send_mail``),
Jinja2 templates with autoescaping (``templates/``), a background sender that drains the outbox
after commit as the platform role and retries with backoff (``sender``), the transports: SMTP
with STARTTLS or a local dev mailbox of ``.eml`` files (``transports``), and the admin and dev
routes (``router``, ``schemas``).
"""
