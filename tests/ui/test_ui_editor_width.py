"""Every vendor's editor fits the window's 490 px editor column without a horizontal scrollbar."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QApplication, QScrollArea
from pytestqt.qtbot import QtBot

from calldesk.domain import Vendor
from calldesk.schema import load_schema
from calldesk.ui.form import EditorForm

EDITOR_COLUMN_WIDTH = 490  # MainWindow's splitter gives the editor this much at first


@pytest.mark.parametrize("vendor", list(Vendor))
def test_editor_needs_no_horizontal_scrollbar_at_the_default_column_width(
    qtbot: QtBot, vendor: Vendor
) -> None:
    form = EditorForm(load_schema(vendor), account_name="work")
    qtbot.addWidget(form)
    form.resize(EDITOR_COLUMN_WIDTH, 700)
    form.show()
    qtbot.waitExposed(form)
    QApplication.processEvents()
    scroll = form.findChild(QScrollArea, "editor_scroll")
    assert scroll is not None
    body = scroll.widget()
    assert body is not None
    assert body.minimumSizeHint().width() <= scroll.viewport().width()
    assert not scroll.horizontalScrollBar().isVisible()
