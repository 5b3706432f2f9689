"""The command line: calldesk's scripting face (``calldesk --help`` lists the commands).

``calldesk.cli.main`` parses and dispatches (``run``); ``calldesk.cli.base`` holds what every
command shares (``CliContext``, ``CliError``, ``Streams``, ``exit_for``); each command group has its
own module (``accounts``, ``calls``, ``sync``, ``sandbox``), imported only when its command runs.
Nothing here imports Qt: the window, ``--version`` and the context come from the composition root,
looked up at run time.
"""

from calldesk.cli.base import (
    EXIT_FAILED,
    EXIT_INVALID,
    EXIT_NOT_BUILT,
    EXIT_OK,
    CliContext,
    CliError,
    CompositionRoot,
    InvalidInputError,
    NotBuiltError,
    Streams,
    exit_for,
)
from calldesk.cli.main import run

__all__ = [
    "EXIT_FAILED",
    "EXIT_INVALID",
    "EXIT_NOT_BUILT",
    "EXIT_OK",
    "CliContext",
    "CliError",
    "CompositionRoot",
    "InvalidInputError",
    "NotBuiltError",
    "Streams",
    "exit_for",
    "run",
]
