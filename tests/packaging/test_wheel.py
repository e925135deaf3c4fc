"""Installed as a tool (``uv tool install .``, ``pipx install .``): the wheel, installed into a fresh virtual
environment outside the checkout, runs the command line and finds every shipped file inside itself.

Marked ``wheel`` (``pytest -m "not wheel"`` leaves it out); it runs by default, in CI too. It needs uv and the
dependencies from uv's cache or a package index; without either it skips, saying which."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.wheel

CHECKOUT = Path(__file__).resolve().parents[2]
UV = shutil.which("uv")


def _clean_env(home: Path) -> dict:
    """An environment that knows nothing of the checkout or its virtual environment."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME", "UV_PROJECT_ENVIRONMENT", "PYTHONSTARTUP")}
    env["HOME"] = str(home)  # uv's cache stays where it is (UV_CACHE_DIR or the real home's)
    return env


def _run(args, cwd, env, timeout=120):
    return subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """(bin folder, cwd outside the checkout, environment) of a fresh venv holding only the built wheel and its
    dependencies."""
    if UV is None:
        pytest.skip("uv is not on PATH: cannot build and install the wheel")
    root = tmp_path_factory.mktemp("wheel")
    env = _clean_env(root)
    env.setdefault("UV_CACHE_DIR", _uv_cache_dir())
    built = _run([UV, "build", "--wheel", "--out-dir", root / "dist", CHECKOUT], root, env)
    assert built.returncode == 0, built.stderr
    (wheel,) = (root / "dist").glob("nnstudio-*.whl")
    venv = root / "venv"
    made = _run([UV, "venv", "--quiet", "--python", sys.executable, venv], root, env)
    assert made.returncode == 0, made.stderr
    python = venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    install = [UV, "pip", "install", "--quiet", "--python", python, wheel]
    done = _run([*install, "--offline"], root, env)  # from uv's cache alone when it holds every dependency
    if done.returncode != 0:
        done = _run(install, root, env)  # else from the package index
    if done.returncode != 0 and ("network" in done.stderr.lower() or "connect" in done.stderr.lower()
                                 or "dns" in done.stderr.lower()):
        pytest.skip(f"the wheel's dependencies are neither in uv's cache nor reachable: {done.stderr.strip()[-300:]}")
    assert done.returncode == 0, done.stderr
    work = root / "elsewhere"
    work.mkdir()
    return python.parent, work, env


def _uv_cache_dir() -> str:
    done = subprocess.run([UV, "cache", "dir"], capture_output=True, text=True, timeout=30)
    return done.stdout.strip()


def test_train_runs_from_the_installed_wheel(installed):
    bin_dir, work, env = installed
    done = _run([bin_dir / "nnstudio", "train", "--preset", "trask-neuron", "--json"], work, env)
    assert done.returncode == 0, done.stderr
    r = json.loads(done.stdout)
    assert r["epochs"] == 1000 and r["train_accuracy"] == 1.0
    assert abs(r["layers"][0]["weights"][0][0] - 7.26283009) < 1e-6


def test_datasets_lists_mnist_from_the_installed_wheel(installed):
    bin_dir, work, env = installed
    done = _run([bin_dir / "nnstudio", "datasets"], work, env)
    assert done.returncode == 0, done.stderr
    assert "mnist" in done.stdout and "toy" in done.stdout


def test_every_shipped_file_is_found_inside_the_installed_package(installed):
    """Datasets (MNIST's gzipped IDX files), lessons, icons, licences: every file under the checkout's resources/ is
    where ``nnstudio.paths`` looks in the installed package, not in the checkout."""
    bin_dir, work, env = installed
    probe = ("import json, nnstudio, nnstudio.paths as p\n"
             "root = p.resources_dir()\n"
             "files = sorted(f.relative_to(root).as_posix() for f in root.rglob('*') if f.is_file())\n"
             "print(json.dumps({'package': nnstudio.__file__, 'root': str(root), 'files': files}))")
    done = _run([bin_dir / "python", "-c", probe], work, env)
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)
    venv = bin_dir.parent.resolve()
    assert Path(found["package"]).resolve().is_relative_to(venv), found["package"]
    assert Path(found["root"]).resolve().is_relative_to(venv), found["root"]
    shipped = sorted(f.relative_to(CHECKOUT / "resources").as_posix()
                     for f in (CHECKOUT / "resources").rglob("*") if f.is_file())
    assert found["files"] == shipped


def test_mnist_trains_from_the_installed_wheel(installed):
    bin_dir, work, env = installed
    done = _run([bin_dir / "nnstudio", "train", "--preset", "mnist-fast", "--subset", "1000", "--epochs", "1",
                 "--json"], work, env)
    assert done.returncode == 0, done.stderr
    r = json.loads(done.stdout)
    assert r["dataset"] == "mnist" and r["test_accuracy"] > 0.5
