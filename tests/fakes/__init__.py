"""Test fakes at the HTTP transport level (requests adapters)."""
