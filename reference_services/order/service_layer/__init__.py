"""Order use cases: the unit of work and the handler that places an order."""
