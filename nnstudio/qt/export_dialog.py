"""The small dialog behind a panel's "Export PNG/SVG/CSV…": where to write, and for PNG how many pixels."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFileDialog, QFormLayout, QSpinBox

FILTERS = {"png": "PNG image (*.png)", "svg": "SVG drawing (*.svg)", "csv": "CSV table (*.csv)"}


def ask_export(panel, kind: str) -> tuple[Path | None, tuple[int, int] | None]:
    size = None
    if kind == "png":
        dialog = QDialog(panel)
        dialog.setWindowTitle("PNG size")
        form = QFormLayout(dialog)
        width, height = QSpinBox(), QSpinBox()
        for spin, value, name in ((width, panel.width() * 2, "exportWidthSpin"),
                                  (height, panel.height() * 2, "exportHeightSpin")):
            spin.setRange(64, 8000)
            spin.setValue(value)
            spin.setSuffix(" px")
            spin.setObjectName(name)
            spin.setAccessibleName(name.replace("export", "").replace("Spin", ""))
        form.addRow("Width", width)
        form.addRow("Height", height)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(dialog.accept)
        buttons.rejected.connect(dialog.reject)
        form.addRow(buttons)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return None, None
        size = (width.value(), height.value())
    name, _ = QFileDialog.getSaveFileName(panel, f"Export {panel.title}", str(Path.home() / f"{panel.name}.{kind}"),
                                          FILTERS[kind])
    if not name:
        return None, None
    path = Path(name)
    return (path if path.suffix else path.with_suffix("." + kind)), size
