"""Fixtures for the CRM adapter tests: the live sandbox server (from tests.helpers)."""

from tests.helpers.sandbox_fixtures import sandbox_config, sandbox_server

__all__ = ["sandbox_config", "sandbox_server"]
