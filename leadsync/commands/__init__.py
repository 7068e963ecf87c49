"""The ``leadsync`` command groups; :mod:`leadsync.cli` assembles them."""
