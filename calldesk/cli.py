"""The command line: calldesk's scripting face (being built; see issue Step 1)."""

from __future__ import annotations


def run(argv: list[str]) -> int:
    """Run one command line; returns the process exit code."""
    raise NotImplementedError("the command line is being built")
