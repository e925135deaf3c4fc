"""Exports read back: PNG of the requested size and not blank, SVG that parses, CSV with the rows shown."""

import csv
import xml.etree.ElementTree as ET

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QVBoxLayout

from nnstudio.qt.export import export_all, export_panel
from nnstudio.qt.panels.base import Panel, PanelContext


class SinePanel(Panel):
    name = "sine"
    title = "A sine"
    description = "One curve, for testing exports."

    def __init__(self, context):
        super().__init__(context)
        self.plot = pg.PlotWidget(background="w")
        self.adopt_plot(self.plot)
        self.x = np.linspace(0, 6, 50)
        self.plot.plot(self.x, np.sin(self.x), pen=pg.mkPen("b", width=2))
        QVBoxLayout(self).addWidget(self.plot)

    def csv_table(self):
        return ["x", "sin"], [[float(a), float(np.sin(a))] for a in self.x]


@pytest.fixture
def panel(qtbot):
    p = SinePanel(PanelContext())
    qtbot.addWidget(p)
    p.resize(400, 300)
    p.show()
    return p


def test_png_has_the_requested_size_and_is_not_blank(panel, tmp_path):
    path = export_panel(panel, tmp_path / "a.png", 800, 500)
    image = QImage(str(path))
    assert (image.width(), image.height()) == (800, 500)
    colours = {image.pixel(x, y) for x in range(0, 800, 7) for y in range(0, 500, 7)}
    assert len(colours) > 5


def test_svg_parses_and_csv_has_the_rows(panel, tmp_path):
    root = ET.parse(export_panel(panel, tmp_path / "a.svg")).getroot()
    assert root.tag.endswith("svg") and len(list(root.iter())) > 10
    with open(export_panel(panel, tmp_path / "a.csv"), newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["x", "sin"] and len(rows) == 51
    assert float(rows[10][1]) == pytest.approx(np.sin(panel.x[9]))


def test_unknown_format_and_export_all_index(panel, tmp_path):
    with pytest.raises(ValueError, match="unknown export format"):
        export_panel(panel, tmp_path / "a.bmp")
    index = export_all([panel], tmp_path / "all")
    names = sorted(p.name for p in (tmp_path / "all").iterdir())
    assert names == ["index.html", "sine.csv", "sine.png", "sine.svg"]
    text = index.read_text()
    assert "A sine" in text and "sine.png" in text and "sine.csv" in text


def test_plot_right_click_menu_offers_the_panel_exports(panel, tmp_path):
    names = [a.objectName() for a in panel.plot.scene().contextMenu]
    assert names == ["sinePlotExport_png", "sinePlotExport_svg", "sinePlotExport_csv"]
    panel.ask_export_path = lambda kind: (tmp_path / f"menu.{kind}", None)
    panel.plot.scene().contextMenu[2].trigger()
    assert (tmp_path / "menu.csv").exists()
    menu = panel.export_menu()
    assert [a.objectName() for a in menu.actions()] == ["export_png", "export_svg", "export_csv"]


# -- every panel, a step at a time -------------------------------------------------------------------------------------
def test_export_all_steps_write_what_export_all_writes(panel, tmp_path, qtbot):
    from nnstudio.qt.background import FINISHED, run_steps
    from nnstudio.qt.export import export_all_steps

    task = run_steps(export_all_steps([SinePanel], panel.context, None, tmp_path / "steps", 600, 400))
    assert task.wait() == FINISHED and task.result == tmp_path / "steps" / "index.html"
    export_all([panel], tmp_path / "whole")
    names = sorted(p.name for p in (tmp_path / "steps").iterdir())
    assert names == sorted(p.name for p in (tmp_path / "whole").iterdir())  # and no hidden folder is left
    image = QImage(str(tmp_path / "steps" / "sine.png"))
    assert (image.width(), image.height()) == (1200, 800)
    assert len({image.pixel(x, y) for x in range(0, 1200, 9) for y in range(0, 800, 9)}) > 5
    assert ET.parse(tmp_path / "steps" / "sine.svg").getroot().tag.endswith("svg")
    with open(tmp_path / "steps" / "sine.csv", newline="") as f:
        assert len(list(csv.reader(f))) == 51


def test_a_failed_export_leaves_the_folder_as_it_was(panel, tmp_path, qtbot, monkeypatch):
    from nnstudio.qt import export
    from nnstudio.qt.background import FAILED, run_steps

    folder = tmp_path / "out"
    folder.mkdir()
    (folder / "sine.png").write_bytes(b"an older picture")

    def no_space(image, path):
        raise OSError("no space left on device")

    monkeypatch.setattr(export, "save_png", no_space)
    task = run_steps(export.export_all_steps([SinePanel, SinePanel], panel.context, None, folder))
    assert task.wait() == FAILED and "no space" in str(task.error)
    qtbot.waitUntil(lambda: sorted(p.name for p in folder.iterdir()) == ["sine.png"], timeout=5000)
    assert (folder / "sine.png").read_bytes() == b"an older picture"


def test_a_png_drawn_in_bands_is_the_png_drawn_at_once(panel):
    from nnstudio.qt.export import render_png, render_png_steps

    whole = render_png(panel, 800, 500)
    steps = render_png_steps(panel, 800, 500, bands=5)
    turns = 0
    while True:
        try:
            next(steps)
            turns += 1
        except StopIteration as done:
            banded = done.value
            break
    assert turns == 5 and banded.size() == whole.size()
    differ = sum(whole.pixel(x, y) != banded.pixel(x, y) for x in range(0, 800, 4) for y in range(0, 500, 4))
    assert differ < 0.01 * (200 * 125)  # anti-aliased edges at a band's border may differ by a shade
