"""Entry point for ``python -m calldesk`` and the ``calldesk`` console script.

With no command (``calldesk`` or ``calldesk --demo``) the window opens straight from the
composition root: the command line's parser and handlers, and all they import, would only hold
back its first paint. Anything else goes to ``calldesk.cli``. Either way an error is explained
the same way (``calldesk.cli.exit_for``).
"""

from __future__ import annotations

import gc
import sys
from collections.abc import Sequence

#: Argument lists that mean "open the window".
WINDOW_ARGS: tuple[tuple[str, ...], ...] = ((), ("--demo",))


def main(argv: Sequence[str] | None = None) -> int:
    """Run the calldesk command line (the window when no command is given)."""
    args = tuple(sys.argv[1:] if argv is None else argv)
    if args in WINDOW_ARGS:
        return window(demo=bool(args))
    from calldesk.cli import run

    return run(args)


def window(*, demo: bool) -> int:
    """Open the window; exit code.

    The cyclic garbage collector pauses until the window's first frame has painted
    (``calldesk.ui.qtapp.show_first_frame`` turns it back on): its passes over the modules being
    imported would only delay that paint.
    """
    gc.disable()
    try:
        from calldesk.app import run_window
    except BaseException:
        gc.enable()
        raise

    try:
        return run_window(demo=demo)
    except BaseException as exc:
        from calldesk.cli import Streams, exit_for

        code = exit_for(exc, Streams.system())
        if code is None:
            raise
        return code


if __name__ == "__main__":
    raise SystemExit(main())
