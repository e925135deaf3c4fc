import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from nnstudio.training import Trainer, presets
from nnstudio.training.session import Session, SessionError


def test_save_load_gives_identical_weights_history_and_future(tmp_path):
    t = Trainer(presets.get("gender-network"))
    t.run(max_updates=1001)
    path = tmp_path / "run.nnstudio"
    Session(t, ui={"layout": "abc"}).save(path)
    s = Session.load(path)
    u = s.trainer
    assert s.ui == {"layout": "abc"}
    assert u.step_count == 1001 and u.epoch == t.epoch and u.position == t.position
    assert all(np.array_equal(a, b) for a, b in zip(t.network.parameters(), u.network.parameters()))
    for field in ("update_x", "update_loss", "weight_x", "weight_values", "error_x", "error_values", "epoch_x",
                  "epoch_values"):
        assert np.array_equal(getattr(t.snapshot(), field), getattr(u.snapshot(), field), equal_nan=True), field
    assert len(u.snapshot().weight_x) and len(u.snapshot().error_x)
    t.run(max_updates=300)
    u.run(max_updates=300)
    assert all(np.array_equal(a, b) for a, b in zip(t.network.parameters(), u.network.parameters()))
    u.reset()
    assert all(np.array_equal(a, b) for a, b in zip(Trainer(presets.get("gender-network")).network.parameters(),
                                                    u.network.parameters()))


def test_session_is_standard_json_without_nan(tmp_path):
    t = Trainer(presets.get("trask-neuron"))  # nothing trained: last outputs are unknown (NaN)
    path = tmp_path / "fresh.nnstudio"
    Session(t).save(path)
    text = path.read_text()
    assert "NaN" not in text
    json.loads(text, parse_constant=lambda c: pytest.fail(f"non-standard constant {c}"))
    assert np.isnan(Session.load(path).trainer.last_outputs).all()


def test_failed_save_leaves_the_previous_file_whole(tmp_path, monkeypatch):
    path = tmp_path / "keep.nnstudio"
    t = Trainer(presets.get("trask-neuron"))
    Session(t).save(path)
    before = path.read_bytes()
    t.run(max_updates=10)

    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError):
        Session(t).save(path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["keep.nnstudio"]  # no temporary file left behind


@pytest.mark.parametrize("content, message", [
    ("garbage", "not valid JSON"),
    ('{"format": "nnstudio-experiment", "version": 1}', "not an NN Studio session"),
    ('{"format": "nnstudio-session", "version": 7}', "version 7 is not supported"),
    ('{"format": "nnstudio-session", "version": 1, "experiment": {"format": "nnstudio-experiment", "version": 1}}',
     "damaged session"),
])
def test_damaged_sessions_are_refused(tmp_path, content, message):
    path = tmp_path / "bad.nnstudio"
    path.write_text(content)
    with pytest.raises(SessionError) as info:
        Session.load(path)
    assert message in str(info.value) and "bad.nnstudio" in str(info.value)


def test_session_with_wrong_weight_shapes_is_refused(tmp_path):
    d = Session(Trainer(presets.get("trask-neuron"))).to_dict()
    d["state"]["weights"] = [[[1.0, 2.0]]]
    path = tmp_path / "shape.nnstudio"
    path.write_text(json.dumps(d))
    with pytest.raises(SessionError, match="does not fit"):
        Session.load(path)


# -- temporaries and symlinks at the session level ----------------------------------------------------------------------
def _temporaries(folder, name="run.nnstudio"):
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(f".{name}.") and p.name.endswith(".tmp"))


def test_opening_and_saving_again_removes_a_stale_temporary(tmp_path):
    path = tmp_path / "run.nnstudio"
    Session(Trainer(presets.get("trask-neuron"))).save(path)
    stale = tmp_path / ".run.nnstudio.k1ll3d_9.tmp"  # what a save killed with -9 leaves beside the file
    stale.write_text('{"format": "nnstudio-session", "vers')
    old = time.time() - 3600
    os.utime(stale, (old, old))
    s = Session.load(path)
    assert _temporaries(tmp_path) == []
    s.trainer.run(max_updates=5)
    s.save(path)
    assert _temporaries(tmp_path) == [] and Session.load(path).trainer.step_count == 5


_KILLED_SAVE = """
import os, sys, time
from nnstudio.training import Trainer, presets
from nnstudio.training.session import Session

path = sys.argv[1]
t = Trainer(presets.get("gender-network").replace(epochs=200))
t.run()
def stall(fd):  # every byte is in the temporary; the rename has not happened: the parent kills us here
    print("written", flush=True)
    time.sleep(60)
os.fsync = stall
Session(t).save(path)
"""


def test_a_save_killed_with_sigkill_leaves_the_previous_file_and_the_next_open_cleans_up(tmp_path):
    path = tmp_path / "run.nnstudio"
    Session(Trainer(presets.get("gender-network"))).save(path)  # the previous save: nothing trained
    before = path.read_bytes()
    child = subprocess.Popen([sys.executable, "-c", _KILLED_SAVE, str(path)], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "written"
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL
    (left,) = _temporaries(tmp_path)  # the killed save's temporary, complete but never renamed
    assert (tmp_path / left).stat().st_size > len(before)
    assert path.read_bytes() == before  # the previous file is whole
    old = time.time() - 3600  # a minute on: no save of that file is running any more
    os.utime(tmp_path / left, (old, old))
    s = Session.load(path)
    assert s.trainer.step_count == 0 and _temporaries(tmp_path) == []
    s.save(path)
    assert _temporaries(tmp_path) == []


def test_saving_a_session_over_a_symlink_keeps_the_link(tmp_path):
    real = tmp_path / "store" / "run.nnstudio"
    real.parent.mkdir()
    Session(Trainer(presets.get("trask-neuron"))).save(real)
    link = tmp_path / "link.nnstudio"
    link.symlink_to(real)
    s = Session.load(link)
    s.trainer.run(max_updates=7)
    s.save(link)
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert Session.load(real).trainer.step_count == 7
    assert sorted(p.name for p in real.parent.iterdir()) == ["run.nnstudio"]


# -- complete checks --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("value, reason", [(None, "NaN"), (float("inf"), "infinite"), (float("nan"), "NaN")])
def test_nan_or_infinite_weights_are_refused_at_load_with_that_reason(tmp_path, value, reason):
    d = Session(Trainer(presets.get("gender-network"))).to_dict()
    d["state"]["weights"][2][1][0] = value  # W2, second row
    path = tmp_path / "nan.nnstudio"
    path.write_text(json.dumps(d))  # inf and nan as Infinity / NaN, which Python's json reads
    with pytest.raises(SessionError) as info:
        Session.load(path)
    message = str(info.value)
    assert message.startswith("nan.nnstudio: ") and "state.weights[2] (W2)" in message and reason in message
    assert "[1, 0]" in message


def test_a_session_refused_by_its_state_leaves_nothing_half_loaded():
    t = Trainer(presets.get("gender-network"))
    t.run(max_updates=20)
    state = Session(t).to_dict()["state"]
    state["history"]["epochs"]["x"][-1] = 10**6  # among the last checks made
    fresh = Trainer(presets.get("gender-network"))
    fresh.run(max_updates=3)
    kept = [p.copy() for p in fresh.network.parameters()], fresh.step_count, fresh.history, fresh.optimizer.t
    with pytest.raises(ValueError, match="state.history.epochs.x"):
        fresh.load_state_dict(state)
    assert all(np.array_equal(a, b) for a, b in zip(kept[0], fresh.network.parameters()))
    assert (fresh.step_count, fresh.history, fresh.optimizer.t) == kept[1:]


def test_a_long_run_whose_history_was_thinned_opens_again(tmp_path):
    t = Trainer(presets.get("trask-neuron").replace(epochs=9000))  # more updates than a history keeps
    t.run()
    path = tmp_path / "long.nnstudio"
    Session(t).save(path)
    u = Session.load(path).trainer
    assert t.history.update_loss.stride > 1 and u.history.update_loss.stride == t.history.update_loss.stride
    assert np.array_equal(u.snapshot().update_x, t.snapshot().update_x)
    t.run(max_updates=500)
    u.run(max_updates=500)
    assert np.array_equal(u.snapshot().update_loss, t.snapshot().update_loss)


def test_a_big_network_with_a_recorded_path_round_trips(tmp_path):
    from nnstudio.core.network import LayerSpec

    exp = presets.get("gender-network").replace(dataset="spiral", dataset_params={"size": 200},
                                                layers=[LayerSpec(32, "tanh"), LayerSpec(16, "tanh"),
                                                        LayerSpec(1, "sigmoid")], batch_size=16, epochs=3)
    t = Trainer(exp)
    t.run()
    assert t.history.path is not None and len(t.history.path)
    path = tmp_path / "big.nnstudio"
    Session(t).save(path)
    u = Session.load(path).trainer
    assert np.array_equal(u.snapshot().path_values, t.snapshot().path_values)


@pytest.mark.parametrize("kept, message", [
    ("lots", "kept_runs: expected a list"),
    ([{"name": "Run 1"}], r"kept_runs\[0\] 'Run 1'.settings"),
    ([7], r"kept_runs\[0\]: expected an object"),
])
def test_a_session_with_damaged_kept_runs_is_refused_naming_them(tmp_path, kept, message):
    t = Trainer(presets.get("trask-neuron"))
    d = Session(t).to_dict()
    d["kept_runs"] = kept
    path = tmp_path / "s.nnstudio"
    path.write_text(json.dumps(d))
    with pytest.raises(SessionError, match=message):
        Session.load(path)
