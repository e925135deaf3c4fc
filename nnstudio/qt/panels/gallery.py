"""The gallery: the test images (the training images when there is no test split), each with its true class, the
network's answer and how sure it was. Filters keep one true class, one answer, or only the wrong answers (then the
surest first: the most confidently wrong at the top); clicking a confusion-matrix cell shows exactly its images
(``PanelContext.show_images``).

A page shows as many pictures as fit, drawn from one mosaic (``gallery_canvas``), so 10,000 images cost no more than
a page; the answers for the whole set are worked out on the panel's own thread (``gallery_numbers`` in a
``LatestJob``), at most every ``RUNNING_INTERVAL`` seconds while training runs."""

from __future__ import annotations

import time

import numpy as np
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QCheckBox, QComboBox, QHBoxLayout, QLabel, QPushButton, QSpinBox, QVBoxLayout

from nnstudio.numbers import count, percent
from nnstudio.qt.panels import gallery_numbers as numbers
from nnstudio.qt.panels.base import Panel
from nnstudio.qt.panels.gallery_canvas import GalleryCanvas, Tile
from nnstudio.qt.panels.offthread import LatestJob
from nnstudio.qt.widgets import blocked, setup
from nnstudio.training.trainer import Snapshot

RUNNING_INTERVAL = 2.0  # seconds between two workings-out of the answers while training runs...
PAUSED_INTERVAL = 0.2  # ...and while it is paused
TEST, TRAIN = "test set", "training set"
ORDERS = (("set", "in the set's order"), ("surest", "surest first"), ("least sure", "least sure first"))
ANY = "any"
WHAT_FOR = "The gallery shows pictures (image data such as MNIST) with the class the network gives each one."
ALTERNATIVES = 3  # classes named in a picture's tooltip after the answer


class GalleryPanel(Panel):
    name = "gallery"
    title = "Gallery"
    description = ("The test images with their true class, the network's answer and how sure it was; filter the "
                   "wrong answers, surest first.")

    def parts(self):
        self.answers: numbers.Answers | None = None
        self.positions = np.zeros(0, dtype=np.int64)  # into the set shown, as the filter keeps and orders them
        self.page = 0
        self._page_size = 1  # pictures a page held when ``page`` was set
        self._levels: tuple[float, float] | None = None
        self._cache: dict = {}
        self._last_start = -1e9
        self._job = LatestJob(self._show, self._failed, self)
        self._timer = QTimer(self, singleShot=True, timeout=self._compute)

        self.set_combo = setup(QComboBox(), "gallerySetCombo", "Images shown",
                               "Judge the held-out test images, or the images the network trains on")
        self.true_combo = setup(QComboBox(), "galleryTrueCombo", "True class shown",
                                "Show only the images of one true class")
        self.answer_combo = setup(QComboBox(), "galleryAnswerCombo", "Answer shown",
                                  "Show only the images the network put in one class")
        self.wrong_check = setup(QCheckBox("misclassified only"), "galleryWrongCheck", "Misclassified only",
                                 "Show only the images the network got wrong, the surest mistakes first")
        self.order_combo = setup(QComboBox(), "galleryOrderCombo", "Order",
                                 "In the set's own order, or by how sure the network is of its answer")
        for data, label in ORDERS:
            self.order_combo.addItem(label, data)
        self.prev_button = setup(QPushButton("◀"), "galleryPrevButton", "Previous page",
                                 "The previous page (wheel up)")
        self.next_button = setup(QPushButton("▶"), "galleryNextButton", "Next page", "The next page (wheel down)")
        for button in (self.prev_button, self.next_button):
            button.setFixedWidth(32)
        self.page_spin = setup(QSpinBox(), "galleryPageSpin", "Page", "Go to a page")
        self.page_spin.setKeyboardTracking(False)
        self.page_spin.setMinimum(1)
        self.pages_label = QLabel("")
        self.pages_label.setObjectName("galleryPagesLabel")
        self.note = QLabel("")
        self.note.setObjectName("galleryNote")
        self.note.setAccessibleName("What the gallery shows")
        self.note.setWordWrap(True)
        self.note.setStyleSheet("color: #555;")
        self.canvas = setup(GalleryCanvas(describe=self.describe), "galleryCanvas", "Pictures",
                            "Each picture with its true class → the network's answer and how sure it was "
                            "(red frame: a wrong answer); hover for the runners-up")

        self.true_label, self.answer_label = QLabel("true"), QLabel("answered")
        filters = QHBoxLayout()
        for widget in (self.set_combo, self.true_label, self.true_combo, self.answer_label, self.answer_combo):
            filters.addWidget(widget)
        filters.addStretch(1)
        paging = QHBoxLayout()
        paging.addWidget(self.wrong_check)
        paging.addWidget(self.order_combo)
        paging.addStretch(1)
        for widget in (self.prev_button, self.page_spin, self.pages_label, self.next_button):
            paging.addWidget(widget)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(filters)
        layout.addLayout(paging)
        layout.addWidget(self.note)
        layout.addWidget(self.canvas, 1)
        self._controls = [self.set_combo, self.true_label, self.true_combo, self.answer_label, self.answer_combo,
                          self.wrong_check, self.order_combo, self.prev_button, self.next_button, self.page_spin,
                          self.pages_label]

        self.set_combo.currentIndexChanged.connect(self._on_set)
        for combo in (self.true_combo, self.answer_combo, self.order_combo):
            combo.currentIndexChanged.connect(self._on_filter)
        self.wrong_check.toggled.connect(self._on_wrong)
        self.prev_button.clicked.connect(lambda: self.go_to_page(self.page - 1))
        self.next_button.clicked.connect(lambda: self.go_to_page(self.page + 1))
        self.page_spin.valueChanged.connect(lambda v: self.go_to_page(v - 1))
        self.canvas.pageStep.connect(lambda step: self.go_to_page(self.page + step))
        self.canvas.pageSizeChanged.connect(self._on_page_size)
        self.context.dataChanged.connect(self._on_data_changed)
        self.context.imagesRequested.connect(self.show_cell)
        self.context.trainingChanged.connect(self._on_training_changed)
        self._on_data_changed()
        yield

    # -- what the data allows ------------------------------------------------------------------------------------------
    def usable(self) -> bool:
        """Whether the data on show is pictures sorted into classes."""
        ds = self.context.dataset
        return ds is not None and ds.image_shape is not None and ds.task != "regression"

    def _on_data_changed(self) -> None:
        self._job.drop()
        self._timer.stop()
        self.snapshot = self.answers = None
        self._cache, self._levels = {}, None
        self.positions = np.zeros(0, dtype=np.int64)
        self.page = 0
        ds = self.context.dataset
        usable = self.usable()
        for widget in self._controls:
            widget.setVisible(usable)
        if not usable:
            self.note.setText(WHAT_FOR)
            self.canvas.set_page(np.zeros((0, 0), np.uint8), 1, [], "")
            return
        names = list(ds.class_names)
        with blocked(self.set_combo, self.true_combo, self.answer_combo, self.wrong_check, self.order_combo):
            self.set_combo.clear()
            self.set_combo.addItems([TEST, TRAIN] if ds.has_test else [TRAIN])
            self.set_combo.setEnabled(ds.has_test)
            self.true_combo.clear()
            self.true_combo.addItems([ANY, *names])
            self.answer_combo.clear()
            self.answer_combo.addItems([ANY, *names])
            self.wrong_check.setChecked(False)
            self.order_combo.setCurrentIndex(0)
        self.canvas.set_shape(ds.image_shape, names)
        self.note.setText("The answers appear with the network's first snapshot.")
        self.canvas.set_page(np.zeros((0, 0), np.uint8), 1, [], "")

    def showing_test(self) -> bool:
        return self.set_combo.currentText() == TEST

    # -- snapshots and the answers -------------------------------------------------------------------------------------
    def set_snapshot(self, snap: Snapshot) -> None:
        super().set_snapshot(snap)
        if not self.usable():
            return
        interval = RUNNING_INTERVAL if self.context.training else PAUSED_INTERVAL
        wait = self._last_start + interval - time.monotonic()
        if wait <= 0:
            self._compute()
        elif not self._timer.isActive():
            self._timer.start(int(wait * 1000) + 1)

    def draw_pending(self) -> None:
        """While paused, work out a deferred snapshot now; while training runs the answers keep their pace (a
        working-out of 10,000 images is CPU time taken from training)."""
        if self._timer.isActive() and not self.context.training:
            self._timer.stop()
            self._compute()

    def _on_training_changed(self, running: bool) -> None:
        if not running and self.snapshot is not None and self.usable():
            self._timer.stop()
            self._compute()

    def _work(self):
        snap, ds, test = self.snapshot, self.context.dataset, self.showing_test()
        cache, prepared, levels = self._cache, self.context.prepared_if_made(), self._levels

        def work():
            found = levels if levels is not None else numbers.levels(ds)
            answers, new_cache = numbers.answers(snap, ds, test, cache, prepared)
            return ds, answers, new_cache, found

        return work

    def _compute(self, now: bool = False) -> None:
        if self.snapshot is None or not self.usable():
            return
        self._last_start = time.monotonic()
        work = self._work()
        if now:
            self._job.drop()
            self._show(work())
        else:
            self._job.start(work)

    def finish(self) -> None:
        if self.snapshot is not None and self.usable():
            self._timer.stop()
            self._compute(now=True)

    def compute_in_background(self) -> bool:
        if self.snapshot is None or not self.usable():
            return False
        if not self._job.busy() or self._timer.isActive():
            self._timer.stop()
            self._compute()
        return True

    def is_computing(self) -> bool:
        return self._job.busy()

    def _show(self, result) -> None:
        ds, answers, cache, levels = result
        if ds is not self.context.dataset:
            return  # worked out for data no longer on show
        self._cache, self._levels = cache, levels
        if answers.test != self.showing_test():
            self._compute()  # the learner switched sets meanwhile
            return
        self.answers = answers
        self._refilter(keep_page=True)

    def _failed(self, message: str) -> None:
        self.note.setText(f"The answers could not be worked out: {message}")

    # -- filters and pages ---------------------------------------------------------------------------------------------
    def _on_set(self, *_) -> None:
        self.answers = None
        self.page = 0
        self.positions = np.zeros(0, dtype=np.int64)
        self._draw_page()
        self._timer.stop()
        self._compute()

    def _on_wrong(self, on: bool) -> None:
        if on:
            with blocked(self.order_combo):
                self.order_combo.setCurrentIndex(self.order_combo.findData("surest"))
        self._on_filter()

    def _on_filter(self, *_) -> None:
        self._refilter(keep_page=False)

    def filters(self) -> dict:
        """The filter on show: true class and answer (None: any), wrong answers only, order."""
        true, answer = self.true_combo.currentIndex() - 1, self.answer_combo.currentIndex() - 1
        return {"true_class": true if true >= 0 else None, "answer": answer if answer >= 0 else None,
                "wrong_only": self.wrong_check.isChecked(), "order": self.order_combo.currentData() or "set"}

    def show_cell(self, true_class: int, answer: int, test: bool) -> None:
        """Show the images of one confusion cell: true class ``true_class`` answered ``answer``, in the test set or
        the training set, surest first."""
        ds = self.context.dataset
        if not self.usable() or not (0 <= true_class < ds.n_classes and 0 <= answer < ds.n_classes):
            return
        was_test = self.showing_test()
        with blocked(self.set_combo, self.true_combo, self.answer_combo, self.wrong_check, self.order_combo):
            self.set_combo.setCurrentText(TEST if test and ds.has_test else TRAIN)
            self.true_combo.setCurrentIndex(true_class + 1)
            self.answer_combo.setCurrentIndex(answer + 1)
            self.wrong_check.setChecked(False)
            self.order_combo.setCurrentIndex(self.order_combo.findData("surest"))
        if self.showing_test() != was_test:
            self._on_set()
        else:
            self._refilter(keep_page=False)

    def _refilter(self, keep_page: bool) -> None:
        if self.answers is None:
            self._draw_page()
            return
        self.positions = numbers.chosen(self.answers, **self.filters())
        if not keep_page:
            self.page = 0
        self._draw_page()

    def _on_page_size(self, size: int) -> None:
        """The canvas was resized: the first picture on show stays on show."""
        self.page = self.page * self._page_size // max(size, 1)
        self._page_size = size
        self._draw_page()

    def pages(self) -> int:
        return max(1, -(-len(self.positions) // max(self.canvas.page_size(), 1)))

    def go_to_page(self, page: int) -> None:
        page = min(max(int(page), 0), self.pages() - 1)
        if page != self.page:
            self.page = page
            self._draw_page()

    def shown_positions(self) -> np.ndarray:
        """Positions (into the set) of the pictures on the page on show."""
        size = self.canvas.page_size()
        return self.positions[self.page * size:(self.page + 1) * size]

    def _draw_page(self) -> None:
        if not hasattr(self, "canvas") or not self.usable():
            return
        self._page_size = self.canvas.page_size()
        self.page = min(self.page, self.pages() - 1)
        with blocked(self.page_spin):
            self.page_spin.setMaximum(self.pages())
            self.page_spin.setValue(self.page + 1)
        self.pages_label.setText(f"of {count(self.pages())}")
        self.prev_button.setEnabled(self.page > 0)
        self.next_button.setEnabled(self.page < self.pages() - 1)
        a, ds = self.answers, self.context.dataset
        if a is None:
            self.canvas.set_page(np.zeros((0, 0), np.uint8), 1, [], "Working out the network's answers…"
                                 if self.snapshot is not None else "")
            return
        shown = self.shown_positions()
        cols, _ = self.canvas.grid()
        X, _ = numbers.images_of(ds, a.test)
        pictures = numbers.mosaic(X, shown, ds.image_shape, self._levels, cols)
        tiles = [self._tile(int(p)) for p in shown]
        self.canvas.set_page(pictures, cols, tiles, "No image matches this filter." if not len(shown) else "")
        which = "test" if a.test else "training"
        n = len(a.true)
        wrong = int(np.count_nonzero(a.wrong))
        diverged = " The network's outputs are not numbers (it diverged)." if np.isnan(a.confidence).any() else ""
        f = self.filters()
        kept = ([f"true {ds.class_names[f['true_class']]}"] if f["true_class"] is not None else []) + (
            [f"answered {ds.class_names[f['answer']]}"] if f["answer"] is not None else []) + (
            ["wrong answers"] if f["wrong_only"] else [])
        kept_text = f" ({', '.join(kept)})" if kept else ""
        self.note.setText(f"{count(len(self.positions))} of {count(n)} {which} images shown{kept_text}; the network "
                          f"gets {count(n - wrong)} right ({percent((n - wrong) / max(n, 1))}), answers of update "
                          f"{count(a.step)}.{diverged}")

    def _tile(self, position: int) -> Tile:
        a, names = self.answers, self.context.dataset.class_names
        true, answer = int(a.true[position]), int(a.predicted[position])
        return Tile(true, names[true], answer, names[answer], percent(a.confidence[position], 0), answer != true,
                    position)

    def describe(self, position: int) -> str:
        """What hovering a picture says: which image, its true class, the answer and the runners-up."""
        a, names = self.answers, self.context.dataset.class_names
        if a is None or not 0 <= position < len(a.true):
            return ""
        true, answer = int(a.true[position]), int(a.predicted[position])
        probs = a.probabilities[position].astype(np.float64)
        runners = [k for k in np.argsort(-np.nan_to_num(probs, nan=-np.inf), kind="stable") if k != answer]
        others = ", ".join(f"{names[k]} ({percent(probs[k])})" for k in runners[:ALTERNATIVES])
        verdict = "right" if answer == true else "wrong"
        return (f"{'Test' if a.test else 'Training'} image {count(position + 1)}: true class {names[true]}; the "
                f"network says {names[answer]} ({percent(a.confidence[position])}), {verdict}."
                + (f"\nNext: {others}" if others else ""))

    # -- what tests and exports read -----------------------------------------------------------------------------------
    def csv_table(self) -> tuple[list[str], list[list]]:
        """Every image the filter keeps, in its order: set, image number (from 1), true class, answer, sureness."""
        header = ["set", "image", "true class", "answer", "probability of the answer"]
        a = self.answers
        if a is None or not self.usable():
            return header, []
        names = self.context.dataset.class_names
        which = "test" if a.test else "training"
        return header, [[which, int(p) + 1, names[a.true[p]], names[a.predicted[p]], float(a.confidence[p])]
                        for p in self.positions]


if __name__ == "__main__":
    from nnstudio.qt.panels.base import show_demo

    show_demo(GalleryPanel, "mnist-fast", 1, (760, 620))
