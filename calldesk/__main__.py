"""Entry point for ``python -m calldesk`` and the ``calldesk`` console script."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    """Run the calldesk command line (the window when no command is given)."""
    from calldesk.cli import run

    return run(sys.argv[1:] if argv is None else argv)


if __name__ == "__main__":
    raise SystemExit(main())
