"""Self-serve onboarding: ``POST /api/v1/organizations`` provisions a workspace with its owner
in one transaction (``service``), described by ``schemas``, served by ``router``."""
