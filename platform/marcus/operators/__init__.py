"""Platform operators: accounts in a global table (``models``), their login with tokens of the
``marcus:platform`` audience that tenant routes refuse (``service``, ``deps``), and the routes
to list, suspend and resume workspaces (``router`` under ``/api/v1/platform``)."""
