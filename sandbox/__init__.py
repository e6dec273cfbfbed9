"""The sandbox: the real application against the built-in simulators, with no accounts."""
