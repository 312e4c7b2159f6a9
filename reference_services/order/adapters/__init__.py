"""Order adapters: database tables and repositories, the seeded catalogue, CloudEvents."""
