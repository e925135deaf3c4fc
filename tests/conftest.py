"""Test-wide settings: Qt never needs a screen."""

import os

import pytest

os.environ["QT_QPA_PLATFORM"] = "offscreen"
if "PYTEST_XDIST_WORKER" in os.environ:  # one test process per core: BLAS threads of their own would oversubscribe
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    os.environ.setdefault("OMP_NUM_THREADS", "1")


@pytest.fixture(scope="session", autouse=True)
def own_settings(tmp_path_factory):
    """The studio's settings (recent files, window layout, last CSV folder) go to a folder of this test process: the
    learner's own are never touched, and test processes running side by side never share them."""
    from PySide6.QtCore import QSettings

    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path_factory.mktemp("settings")))


@pytest.fixture(scope="session")
def trained_lesson():
    """``trained_lesson(name)``: the lesson's Trainer after its whole run, trained once per test session (the
    perceptron's 50,000 updates take seconds). Shared: tests only read it (snapshots, weights, predictions)."""
    from nnstudio.training import Trainer, presets

    cache = {}

    def get(name: str):
        if name not in cache:
            t = Trainer(presets.get(name))
            t.run()
            cache[name] = t
        return cache[name]

    return get


def pytest_addoption(parser):
    group = parser.getgroup("monkey", "the random-action test of the studio (tests/qt/test_monkey.py)")
    group.addoption("--monkey-seconds", type=float, default=15.0, help="seconds per seed (default 15)")
    group.addoption("--monkey-seeds", default="1,2,3", help="comma-separated seeds (default 1,2,3)")
