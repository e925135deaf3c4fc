"""The command line's window-free commands never import Qt (nor pyqtgraph): they start fast, and run where no Qt
libraries can load (a server, a bundle without a display)."""

import subprocess
import sys

import pytest

QT_MODULES = ("PySide6", "shiboken6", "pyqtgraph")


@pytest.mark.parametrize("args", [["--version"], ["train", "--preset", "trask-neuron", "--epochs", "3", "--json"],
                                  ["datasets"], ["presets"]])
def test_window_free_commands_do_not_import_qt(args, tmp_path):
    done = subprocess.run([sys.executable, "-X", "importtime", "-m", "nnstudio", *args], capture_output=True,
                          text=True, timeout=120, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    imported = [line.split("|")[-1].strip() for line in done.stderr.splitlines() if line.startswith("import time:")]
    assert "nnstudio.cli" in imported  # importtime did report (the check below means something)
    qt = [name for name in imported if name.split(".")[0] in QT_MODULES]
    assert qt == [], f"nnstudio {' '.join(args)} imported {qt[:5]}"
