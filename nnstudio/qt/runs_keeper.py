"""The runs kept for comparison in the studio: kept by hand ("Keep this run"), when a change is about to reset the
weights, and when training goes on from an earlier update (the abandoned run). Each keeps its own colour for as long
as it is kept; the views draw them beside the current run (curves; the loss surface when the weight space is the
same), and sessions save them.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from nnstudio.training import runs
from nnstudio.training.runs import MAX_RUNS, KeptRun

# kept runs are drawn in these (the current run keeps the views' own colours); darker than the class colours, so a
# kept run is never mistaken for a class
RUN_COLOURS = ((120, 120, 120), (160, 82, 45), (128, 0, 128), (0, 128, 128), (85, 107, 47), (199, 21, 133),
               (70, 70, 160), (184, 134, 11))


class RunsKeeper(QObject):
    changed = Signal()

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.runs: list[KeptRun] = []
        self._colours: dict[int, tuple[int, int, int]] = {}  # id(run) -> its colour, while it is kept
        self._made = 0  # runs named so far ("Run 1", "Run 2", ...)

    def keep(self, snap, settings, name: str | None = None) -> KeptRun | None:
        """Keep the run ``snap`` shows (trained with ``settings``); nothing for a run with no update yet."""
        if snap is None or snap.step == 0 or settings is None:
            return None
        self._made += 1
        run = KeptRun.from_snapshot(snap, settings, name or f"Run {self._made}")
        self._add(run)
        return run

    def add_runs(self, new: list[KeptRun]) -> None:
        for run in new:
            self._add(run, emit=False)
        self.changed.emit()

    def _add(self, run: KeptRun, emit: bool = True) -> None:
        self.runs.append(run)
        used = set(self._colours.values())
        self._colours[id(run)] = next((c for c in RUN_COLOURS if c not in used),
                                      RUN_COLOURS[len(self.runs) % len(RUN_COLOURS)])
        while len(self.runs) > MAX_RUNS:
            self._colours.pop(id(self.runs.pop(0)), None)
        if emit:
            self.changed.emit()

    def colour(self, run: KeptRun) -> tuple[int, int, int]:
        return self._colours.get(id(run), RUN_COLOURS[0])

    def remove(self, run: KeptRun) -> None:
        if run in self.runs:
            self.runs.remove(run)
            self._colours.pop(id(run), None)
            self.changed.emit()

    def clear(self) -> None:
        if self.runs:
            self.runs, self._colours = [], {}
            self.changed.emit()

    def set_runs(self, kept: list[KeptRun]) -> None:
        """The runs of a session just opened (instead of those kept so far)."""
        self.runs, self._colours = [], {}
        self._made = len(kept)
        for run in kept:
            self._add(run, emit=False)
        self.changed.emit()

    def legend(self, run: KeptRun, current) -> str:
        """A legend's words: a compared run's own label ("learning rate 0.003"), or the run's name and what differs
        from the current settings ("Run 2: learning rate 0.003 vs 0.001")."""
        if run.label:
            return run.label
        words = runs.label(run.settings, current) if current is not None else ""
        return f"{run.name}: {words}" if words else run.name

    def comparable(self, current) -> list[KeptRun]:
        """The kept runs on the current run's data (the others' curves mean nothing beside it)."""
        if current is None:
            return []
        return [r for r in self.runs
                if (r.settings.dataset, r.settings.dataset_params) == (current.dataset, current.dataset_params)]
