"""Identity: users of a workspace (``models``), the authenticated caller (``principal``)."""
