"""Exporting what a panel shows: PNG at a chosen size, SVG, and CSV of the numbers behind it; and every panel at
once into a folder with an index page.

Widgets can only be drawn on the GUI thread, so drawing (``render_png``, ``render_svg``) is kept apart from what
can happen anywhere: encoding the PNG, writing files, building CSV rows. "Export all panels" (``export_all_steps``)
draws one panel per turn of the event loop and leaves the rest to background threads (see background.py)."""

from __future__ import annotations

import csv
import html
import os
import shutil
import tempfile
from pathlib import Path

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QPoint, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QRegion
from PySide6.QtSvg import QSvgGenerator
from PySide6.QtWidgets import QWidget

from nnstudio.qt.background import FINISHED, Pause, Task, run_in_thread

FORMATS = ("png", "svg", "csv")
BANDS = 4  # "Export all panels" draws each PNG in this many horizontal bands, one per turn of the event loop
SETTLE_PAINTS = 3  # ...after painting the panel whole this many times, a paint per turn (its layout settles)


def _render(widget: QWidget, painter: QPainter, size: QSize) -> None:
    """Draw ``widget`` scaled to fill ``size`` (vector drawing stays vector; nothing is resampled)."""
    w, h = max(widget.width(), 1), max(widget.height(), 1)
    painter.scale(size.width() / w, size.height() / h)
    widget.render(painter, QPoint(0, 0))


def render_png(widget: QWidget, width: int | None = None, height: int | None = None) -> QImage:
    """``widget`` drawn into an image of ``width`` x ``height`` pixels (default: its own size, doubled for
    sharpness). GUI thread only."""
    size = QSize(width or widget.width() * 2, height or widget.height() * 2)
    image = QImage(size, QImage.Format.Format_ARGB32)
    image.fill(QColor("white"))
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.TextAntialiasing)
    _render(widget, painter, size)
    painter.end()
    return image


def render_png_steps(widget: QWidget, width: int | None = None, height: int | None = None, bands: int = BANDS):
    """``render_png`` a horizontal band at a time, as a generator for ``background.run_steps`` (it yields between
    bands, and returns the image): drawing a whole panel at twice its size can take a tenth of a second."""
    size = QSize(width or widget.width() * 2, height or widget.height() * 2)
    image = QImage(size, QImage.Format.Format_ARGB32)
    image.fill(QColor("white"))
    w, h = max(widget.width(), 1), max(widget.height(), 1)
    edges = [round(h * k / bands) for k in range(bands + 1)]
    for top, bottom in zip(edges, edges[1:]):
        if bottom <= top:
            continue
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.TextAntialiasing)
        painter.scale(size.width() / w, size.height() / h)
        widget.render(painter, QPoint(0, top), QRegion(0, top, w, bottom - top))
        painter.end()
        yield
    return image


def save_png(image: QImage, path: str | Path) -> Path:
    """Encode and write ``image`` (any thread: the encoding lets go of Python's interpreter lock)."""
    path = Path(path)
    if not image.save(str(path), "PNG"):
        raise OSError(f"could not write {path}")
    return path


def export_png(widget: QWidget, path: str | Path, width: int | None = None, height: int | None = None) -> Path:
    """A PNG of ``width`` x ``height`` pixels (default: the widget's own size, doubled for sharpness)."""
    return save_png(render_png(widget, width, height), path)


def render_svg(widget: QWidget, title: str = "") -> bytes:
    """``widget`` as an SVG document. GUI thread only."""
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    gen = QSvgGenerator()
    gen.setOutputDevice(buffer)
    size = QSize(widget.width(), widget.height())
    gen.setSize(size)
    gen.setViewBox(QRectF(0, 0, size.width(), size.height()))
    gen.setTitle(title or widget.objectName())
    gen.setDescription("Exported from NN Studio")
    painter = QPainter(gen)
    painter.fillRect(QRectF(0, 0, size.width(), size.height()), Qt.GlobalColor.white)
    _render(widget, painter, size)
    painter.end()
    buffer.close()
    return bytes(data)


def export_svg(widget: QWidget, path: str | Path, title: str = "") -> Path:
    path = Path(path)
    document = render_svg(widget, title or widget.objectName())
    if not document:
        raise OSError(f"could not write {path}")
    path.write_bytes(document)
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


def export_panel(panel, path: str | Path, width: int | None = None, height: int | None = None,
                 computed: bool = False) -> Path:
    """Export by the file's extension: .png, .svg or .csv. ``computed``: the panel's background work for its
    snapshot is done already (see ``Panel.ask_and_export``); else it is done here, in line."""
    path = Path(path)
    kind = path.suffix.lower().lstrip(".")
    if computed:
        panel.draw_pending()
    else:
        panel.finish()  # draw the latest snapshot: throttled panels may hold a newer one than they show
    if kind in ("png", "svg"):
        panel.exporting = True  # drawn for a file: at full quality even while a run goes on (see network_paint)
        try:
            if kind == "png":
                return export_png(panel.export_widget(), path, width, height)
            return export_svg(panel.export_widget(), path, panel.title)
        finally:
            panel.exporting = False
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
        rows.append((panel.title, panel.description, files))
    index = folder / "index.html"
    index.write_text(index_page(rows), encoding="utf-8")
    return index


def index_page(rows) -> str:
    """The index page: for each panel (title, description, file names) its links and picture."""
    parts = ["<!doctype html><meta charset='utf-8'><title>NN Studio export</title>",
             "<h1>NN Studio: exported panels</h1>"]
    for title, description, files in rows:
        links = " · ".join(f"<a href='{html.escape(f)}'>{html.escape(f)}</a>" for f in files)
        parts.append(f"<h2>{html.escape(title)}</h2><p>{html.escape(description)}</p>"
                     f"<p>{links}</p><img src='{html.escape(files[0])}' style='max-width:100%'>")
    return "\n".join(parts)


def export_all_steps(classes, context, snapshot, folder: str | Path, width: int = 1200, height: int = 800):
    """"Export all panels" as steps for ``background.run_steps``: every panel class drawn afresh at ``width`` x
    ``height`` showing ``snapshot``, into ``folder`` as PNG, SVG and CSV, with ``index.html``; returns its path.

    On the GUI thread, one short step per turn of the event loop: make the panel a part at a time (a plot per
    turn: ``Panel.in_turns``), give it the snapshot (``snapshot_parts``: the weights panel makes a plot per layer),
    let its background work finish (the loss surface's grid is computed on its own thread), draw the PNG in bands,
    draw the SVG.
    On other threads: encoding the PNG, building the CSV rows, writing the files. Everything is written into a
    hidden folder inside ``folder`` and moved into place at the end, so a cancel or a failure leaves ``folder`` as
    it was (the hidden folder is removed)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".nnstudio-export-", dir=folder))
    writers: list[Task] = []
    made: list = []  # the panel being made and drawn (closed if the export stops)
    share = 0.9 / max(len(classes), 1)
    try:
        for k, cls in enumerate(classes):
            for _ in cls.in_turns(context, made):  # a plot per turn
                yield (k + 0.05) * share
            panel = made[-1]
            panel.setAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen)
            panel.resize(width, height)
            panel.show()
            yield (k + 0.1) * share  # laid out
            # Until it is drawn for the files, Qt does not paint the panel of its own accord after each change (a
            # third of the time, for nobody to see; and a plot's axis keeps the widest numbers it ever drew: a
            # histogram's "0.2" before its counts)...
            panel.setUpdatesEnabled(False)
            for _ in panel.snapshot_parts(snapshot):
                yield (k + 0.15) * share
            yield (k + 0.2) * share
            if panel.compute_in_background():
                while panel.is_computing():
                    yield Pause(0.05)
            else:
                panel.finish()
            yield (k + 0.4) * share
            # ...then it is painted whole, a paint per turn, until its layout has settled: pyqtgraph sizes its
            # axes to the numbers it draws, which lays the plots out again (Qt's own cascade of paints for this
            # took 60-120 ms in one go), so the bands of the PNG agree
            for _ in range(SETTLE_PAINTS):
                yield from _drawing(panel, _repaint_step(panel))
            yield (k + 0.5) * share  # drawn, at last
            image = yield from _drawing(panel, render_png_steps(panel.export_widget()))
            yield (k + 0.7) * share
            svg = yield from _drawing(panel, _svg_step(panel))
            yield (k + 0.85) * share
            # the CSV rows are read from the panel here, on the GUI thread that owns its widgets (a writer thread
            # reading them could meet a half-made change)
            table = panel.csv_table()
            yield (k + 0.9) * share
            about = (panel.name, panel.title, panel.description)
            writer = run_in_thread(lambda report, a=about, i=image, s=svg, t=table:
                                   _write_panel(a, i, s, t, staging, report), None, f"export-{panel.name}")
            writers.append(writer)
            made.remove(panel)
            _close(panel)
        rows = []
        for writer in writers:
            yield writer
            if writer.state != FINISHED:
                raise writer.error if writer.error is not None else OSError("the export was stopped")
            rows.append(writer.result)
        (staging / "index.html").write_text(index_page(rows), encoding="utf-8")
        for name in [name for _, _, files in rows for name in files] + ["index.html"]:
            os.replace(staging / name, folder / name)
        return folder / "index.html"
    finally:  # done, failed or cancelled: the hidden folder goes once no writer uses it
        for panel in made:
            _close(panel)
        for writer in writers:
            writer.cancel()
        pending = [w for w in writers if not w.is_done]
        if not pending:
            shutil.rmtree(staging, ignore_errors=True)
        for w in pending:
            w.when_done(lambda: all(w.is_done for w in writers) and shutil.rmtree(staging, ignore_errors=True))


def _drawing(panel: QWidget, steps):
    """Run ``steps`` (a generator) with ``panel`` painted only within them: updates are on while a step runs and
    off while the event loop turns in between (no paint of Qt's own accord, nor a cascade of them)."""
    while True:
        panel.setUpdatesEnabled(True)
        try:
            item = next(steps)
        except StopIteration as done:
            return done.value
        finally:
            panel.setUpdatesEnabled(False)
        yield item


def _repaint_step(panel: QWidget):
    panel.repaint()
    yield


def _svg_step(panel):
    return render_svg(panel.export_widget(), panel.title)
    yield  # (a generator of one step)


def _write_panel(about, image: QImage, svg: bytes, table, folder: Path, report) -> tuple[str, str, list[str]]:
    """The files of one panel (on a background thread) from what the GUI thread took from it: ``about`` (name,
    title, description), its picture, its SVG and its CSV ``table`` (header, rows); returns (title, description,
    file names)."""
    name, title, description = about
    names = [f"{name}.{kind}" for kind in FORMATS]
    save_png(image, folder / names[0])
    report(0.4)
    (folder / names[1]).write_bytes(svg)
    report(0.5)
    header, rows = table
    export_csv(header, rows, folder / names[2])
    return title, description, names


def _close(panel) -> None:
    panel.close()
    panel.deleteLater()
