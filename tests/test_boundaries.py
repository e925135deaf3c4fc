"""The architecture's one-way arrows: the model layers never import Qt."""

import re
import subprocess
import sys
from pathlib import Path

import nnstudio
from nnstudio.paths import resource_path, resources_dir

PACKAGE = Path(nnstudio.__file__).parent


def test_model_layers_import_no_qt():
    code = ("import sys, nnstudio.core, nnstudio.data, nnstudio.training, nnstudio.training.session, nnstudio.cli; "
            "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('PySide6', 'shiboken6', 'pyqtgraph')); "
            "print(bad); sys.exit(1 if bad else 0)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_no_qt_import_statements_below_qt():
    pattern = re.compile(r"^\s*(from|import)\s+(PySide6|pyqtgraph|shiboken6)", re.M)
    offenders = [str(p.relative_to(PACKAGE)) for sub in ("core", "data", "training")
                 for p in (PACKAGE / sub).rglob("*.py") if pattern.search(p.read_text(encoding="utf-8"))]
    assert offenders == []


def test_core_imports_nothing_from_upper_layers():
    pattern = re.compile(r"^\s*(from|import)\s+nnstudio\.(data|training|qt|cli)", re.M)
    offenders = [p.name for p in (PACKAGE / "core").rglob("*.py") if pattern.search(p.read_text(encoding="utf-8"))]
    assert offenders == []


def test_resources_found_through_one_function():
    assert resources_dir().is_dir()
    assert "scikit-learn" in resource_path("DATA_LICENSE").read_text(encoding="utf-8")
