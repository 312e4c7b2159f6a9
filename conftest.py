"""Root conftest: wires the reference system for ``checks/`` (grows with the plugin issue)."""
