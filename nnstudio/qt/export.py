"""Exporting what a panel shows: PNG at a chosen size, SVG, and CSV of the numbers behind it; and every panel at
once into a folder with an index page."""

from __future__ import annotations

import csv
import html
from pathlib import Path

from PySide6.QtCore import QPoint, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QImage, QPainter
from PySide6.QtSvg import QSvgGenerator
from PySide6.QtWidgets import QWidget

FORMATS = ("png", "svg", "csv")


def _render(widget: QWidget, painter: QPainter, size: QSize) -> None:
    """Draw ``widget`` scaled to fill ``size`` (vector drawing stays vector; nothing is resampled)."""
    w, h = max(widget.width(), 1), max(widget.height(), 1)
    painter.scale(size.width() / w, size.height() / h)
    widget.render(painter, QPoint(0, 0))


def export_png(widget: QWidget, path: str | Path, width: int | None = None, height: int | None = None) -> Path:
    """A PNG of ``width`` x ``height`` pixels (default: the widget's own size, doubled for sharpness)."""
    path = Path(path)
    size = QSize(width or widget.width() * 2, height or widget.height() * 2)
    image = QImage(size, QImage.Format.Format_ARGB32)
    image.fill(QColor("white"))
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.TextAntialiasing)
    _render(widget, painter, size)
    painter.end()
    if not image.save(str(path), "PNG"):
        raise OSError(f"could not write {path}")
    return path


def export_svg(widget: QWidget, path: str | Path, title: str = "") -> Path:
    path = Path(path)
    gen = QSvgGenerator()
    gen.setFileName(str(path))
    size = QSize(widget.width(), widget.height())
    gen.setSize(size)
    gen.setViewBox(QRectF(0, 0, size.width(), size.height()))
    gen.setTitle(title or widget.objectName())
    gen.setDescription("Exported from NN Studio")
    painter = QPainter(gen)
    painter.fillRect(QRectF(0, 0, size.width(), size.height()), Qt.GlobalColor.white)
    _render(widget, painter, size)
    painter.end()
    if not path.exists() or path.stat().st_size == 0:
        raise OSError(f"could not write {path}")
    return path


def export_csv(header: list[str], rows, path: str | Path) -> Path:
    path = Path(path)
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        for row in rows:
            writer.writerow([_cell(v) for v in row])
    return path


def _cell(v):
    if isinstance(v, float):
        return repr(v) if v == v else "nan"
    return v


def export_panel(panel, path: str | Path, width: int | None = None, height: int | None = None) -> Path:
    """Export by the file's extension: .png, .svg or .csv."""
    path = Path(path)
    kind = path.suffix.lower().lstrip(".")
    panel.finish()  # draw the latest snapshot: throttled panels may hold a newer one than they show
    if kind == "png":
        return export_png(panel.export_widget(), path, width, height)
    if kind == "svg":
        return export_svg(panel.export_widget(), path, panel.title)
    if kind == "csv":
        header, rows = panel.csv_table()
        return export_csv(header, rows, path)
    raise ValueError(f"unknown export format {path.suffix!r}; use one of: {', '.join('.' + f for f in FORMATS)}")


def offscreen_panel(cls, context, snapshot, width: int, height: int):
    """A fresh panel of ``cls`` laid out at ``width`` x ``height`` off screen, showing ``snapshot`` with any
    background work finished: what ``nnstudio plot`` and "Export all panels" draw."""
    from PySide6.QtWidgets import QApplication

    panel = cls(context)
    panel.setAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen)
    panel.resize(width, height)
    panel.show()
    panel.set_snapshot(snapshot)
    panel.finish()
    for _ in range(3):
        QApplication.processEvents()
    return panel


def export_all(panels, folder: str | Path) -> Path:
    """Every panel as PNG, SVG and CSV into ``folder``, with ``index.html`` saying what is where."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    rows = []
    for panel in panels:
        files = [export_panel(panel, folder / f"{panel.name}.{kind}").name for kind in FORMATS]
        rows.append((panel, files))
    parts = ["<!doctype html><meta charset='utf-8'><title>NN Studio export</title>",
             "<h1>NN Studio: exported panels</h1>"]
    for panel, files in rows:
        links = " · ".join(f"<a href='{html.escape(f)}'>{html.escape(f)}</a>" for f in files)
        parts.append(f"<h2>{html.escape(panel.title)}</h2><p>{html.escape(panel.description)}</p>"
                     f"<p>{links}</p><img src='{html.escape(files[0])}' style='max-width:100%'>")
    index = folder / "index.html"
    index.write_text("\n".join(parts), encoding="utf-8")
    return index
