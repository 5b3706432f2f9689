"""What every collaborator of the window shares: the current backend, the task runner, the
status bar's passing messages and the settings file.

The backend changes when the rep changes accounts (``MainWindow.rebind``): collaborators read
``context.backend`` / ``context.service`` when they act, never keep their own copy.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from PySide6.QtCore import QSettings

    from calldesk.ui.ports import Backend, CallServicePort
    from calldesk.ui.tasks import TaskRunner


class WindowContext:
    """The backend of the moment, ``spawn``, ``say`` (a status-bar message) and the settings."""

    def __init__(
        self,
        backend: Backend,
        tasks: TaskRunner,
        say: Callable[[str, int], None],
        settings: QSettings,
    ) -> None:
        self.backend = backend
        self.tasks = tasks
        self._say = say
        self.settings = settings

    @property
    def service(self) -> CallServicePort:
        return self.backend.service

    def spawn(self, coro: Coroutine[Any, Any, object]) -> object:
        """Run ``coro`` as one of the window's tasks (``calldesk.ui.tasks``)."""
        return self.tasks.spawn(coro)

    def say(self, text: str, timeout_ms: int = 0) -> None:
        """A passing message in the status bar (``0``: until the next one)."""
        self._say(text, timeout_ms)
