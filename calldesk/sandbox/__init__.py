"""Sandbox CRMs: a Starlette app that behaves like the Apollo, Close, Pipedrive and Buildr APIs."""
