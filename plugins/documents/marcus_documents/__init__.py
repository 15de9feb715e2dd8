"""The documents plugin: customers upload files with a type, name, tags and a description;
staff review and approve them. Parts: ``models``, ``schemas``, ``permissions``, ``events``,
``service`` (uploads staged so a failed request leaves no file, listing and search, the
review workflow, deletion), ``router`` (``/api/v1/documents``), ``handlers`` (removing a
deleted document's files after commit), ``jobs`` (the nightly orphan report), ``plugin``."""
