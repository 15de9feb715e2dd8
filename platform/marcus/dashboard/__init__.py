"""The dashboard: kernel figures plus the widgets plugins register (``service``), served at
``GET /api/v1/dashboard`` (``router``, ``schemas``)."""
