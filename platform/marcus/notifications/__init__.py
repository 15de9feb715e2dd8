"""Notifications and the activity feed: rows per recipient and per actor (``models``), the
kernel subscriber that turns events into both (``handlers``), reading and sending them
(``service``), and the API (``router``, ``schemas``)."""
