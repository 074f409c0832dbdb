"""About box (F1): what FL_PyTorch is, the versions it runs on, and links."""

from __future__ import annotations

import html

from PyQt5.QtCore import Qt
from PyQt5.QtWidgets import QDialog, QDialogButtonBox, QLabel, QVBoxLayout, QWidget

from ..sysinfo import LINKS, versions


def about_html() -> str:
    """The About text: description, versions table, links."""
    rows = "".join(f"<tr><td style='padding-right:14px'>{html.escape(k)}</td>"
                   f"<td><b>{html.escape(v)}</b></td></tr>" for k, v in versions().items())
    links = "<br>".join(f"<a href='{url}'>{html.escape(name)}</a>" for name, url in LINKS.items())
    return ("<h2>FL_PyTorch</h2><p>An optimization research simulator for federated learning: "
            "write the single-client steps of an algorithm in PyTorch, simulate many clients "
            "on CPUs and GPUs, and plot what a paper needs.</p>"
            f"<table>{rows}</table><p>{links}</p>")


class AboutDialog(QDialog):
    """Non-modal About box."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("About FL_PyTorch")
        self.text = QLabel(about_html())
        self.text.setTextFormat(Qt.RichText)
        self.text.setOpenExternalLinks(True)
        self.text.setWordWrap(True)
        self.text.setTextInteractionFlags(Qt.TextBrowserInteraction)
        buttons = QDialogButtonBox(QDialogButtonBox.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.text)
        layout.addWidget(buttons)
        self.setMinimumWidth(460)
