"""The menu bar's actions and the shortcut help: every action of the window reachable by menu
and by key, and listed in one place (Help › Keyboard shortcuts, F1 or Ctrl+?).

``WindowMenus`` fills the menus the chrome titled in the first frame with the toolbar's actions
and the ones only the menus carry: Attach recording… (Ctrl+Shift+A), Bring back the discarded
call (Ctrl+Alt+Z), Sync queue…, Keyboard shortcuts, Close window. ``shortcut_lines`` is what the
help lists (the actions' own keys, the editor's, the list's).
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDialog, QLabel, QMainWindow, QVBoxLayout

from calldesk.ui.chrome import WindowChrome

#: Keys handled by widgets rather than actions (the editor's and the list's), for the help.
OTHER_KEYS: tuple[tuple[str, str], ...] = (
    ("Ctrl+S", "Save the call"),
    ("Ctrl+Return", "Save and start a new call"),
    ("1 … 9", "Choose an outcome (in the outcome field)"),
    ("Tab / Enter", "From the list into the editor"),
    ("Esc", "From the editor back to the list"),
)


class WindowMenus(QObject):
    """Fills the menu bar and shows the shortcut help (see the module docstring)."""

    def __init__(
        self,
        window: QMainWindow,
        chrome: WindowChrome,
        *,
        find: QAction,
        attach: Callable[[], object],
        bring_back: Callable[[], object],
        open_queue: Callable[[], object],
    ) -> None:
        super().__init__(window)
        self._window = window
        self._help: QDialog | None = None
        self.attach_action = self._action(
            self.tr("Attach recording…"),
            "attach_recording",
            ("Ctrl+Shift+A",),
            attach,
            self.tr("Attach a recording file to the open call (it is saved first when new)"),
        )
        self.bring_back_action = self._action(
            self.tr("Bring back the discarded call"),
            "bring_back",
            ("Ctrl+Alt+Z",),
            bring_back,
            self.tr("Undo: the call you were typing when you started another one"),
        )
        self.queue_action = self._action(
            self.tr("Sync queue…"), "open_queue", ("Ctrl+Shift+Q",), open_queue, None
        )
        self.help_action = self._action(
            self.tr("Keyboard shortcuts"), "shortcut_help", ("F1", "Ctrl+?"), self.show_help, None
        )
        self.close_action = self._action(
            self.tr("Close window"), "close_window", ("Ctrl+Q",), window.close, None
        )
        menus = chrome.menus
        menus["file"].addAction(chrome.new_action)
        menus["file"].addAction(self.attach_action)
        menus["file"].addSeparator()
        menus["file"].addAction(chrome.accounts_action)
        menus["file"].addSeparator()
        menus["file"].addAction(self.close_action)
        menus["edit"].addAction(self.bring_back_action)
        menus["edit"].addSeparator()
        menus["edit"].addAction(find)
        menus["view"].addAction(chrome.sync_action)
        menus["view"].addAction(self.queue_action)
        menus["help"].addAction(self.help_action)
        self._actions = [
            chrome.new_action,
            self.attach_action,
            chrome.sync_action,
            self.queue_action,
            find,
            self.bring_back_action,
            self.help_action,
            self.close_action,
        ]

    def _action(
        self,
        text: str,
        name: str,
        keys: tuple[str, ...],
        slot: Callable[[], object],
        tip: str | None,
    ) -> QAction:
        action = QAction(text, self._window)
        action.setObjectName(name)
        action.setShortcuts([QKeySequence(k) for k in keys])
        action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        if tip:
            action.setToolTip(tip)
        action.triggered.connect(lambda _checked=False: slot())
        self._window.addAction(action)  # its keys work even while the menu bar is hidden
        return action

    def shortcut_lines(self) -> list[tuple[str, str]]:
        """(keys, what they do) for every key the window answers to."""
        lines: list[tuple[str, str]] = []
        for action in self._actions:
            keys = [k.toString(QKeySequence.SequenceFormat.NativeText) for k in action.shortcuts()]
            if keys:
                lines.append((" / ".join(keys), action.text().replace("&", "").rstrip("…")))
        lines.extend((keys, self.tr(text)) for keys, text in OTHER_KEYS)
        return lines

    def show_help(self) -> QDialog:
        """The shortcut help, non-modal (built on first use)."""
        if self._help is None:
            dialog = QDialog(self._window)
            dialog.setObjectName("shortcut_help")
            dialog.setWindowTitle(self.tr("Keyboard shortcuts"))
            dialog.setModal(False)
            layout = QVBoxLayout(dialog)
            rows = "".join(
                f"<tr><td style='padding:3px 14px 3px 0'><b>{keys}</b></td><td>{text}</td></tr>"
                for keys, text in self.shortcut_lines()
            )
            label = QLabel(f"<table>{rows}</table>", dialog)
            label.setObjectName("shortcut_list")
            label.setAccessibleName(self.tr("Keyboard shortcuts"))
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByKeyboard)
            label.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
            layout.addWidget(label)
            self._help = dialog
        self._help.show()
        self._help.raise_()
        self._help.activateWindow()
        return self._help
