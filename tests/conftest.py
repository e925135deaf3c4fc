"""Test-wide settings: Qt never needs a screen."""

import os

os.environ["QT_QPA_PLATFORM"] = "offscreen"


def pytest_addoption(parser):
    group = parser.getgroup("monkey", "the random-action test of the studio (tests/qt/test_monkey.py)")
    group.addoption("--monkey-seconds", type=float, default=20.0, help="seconds per seed (default 20)")
    group.addoption("--monkey-seeds", default="1,2,3", help="comma-separated seeds (default 1,2,3)")
