"""Loyalty points: accounts and ledger (``models``), earning on completed appointments
(``handlers``), balance API (``router``); ``plugin`` wires them into Marcus."""
