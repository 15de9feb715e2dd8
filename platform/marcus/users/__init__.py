"""People of a workspace: one's own profile (``/me``: read, update, email change with a code,
avatar, delete) and admin user management (``/users``: list, search, create, block, change
role, delete). Parts: ``schemas``, ``service`` (avatars are kernel storage images,
``marcus.storage.images``), ``router``."""
