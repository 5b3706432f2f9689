"""Async services: the outbox drain engine per account and the services the CLI and UI use."""
