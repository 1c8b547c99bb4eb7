"""Real servers started by the test suite (PostgreSQL, ...), each in a temporary directory."""
