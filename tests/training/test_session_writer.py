"""The streaming session writer: the very bytes json.dumps(Session.to_dict()) gives, written a slice at a time, with
progress; a cancel or a failure leaves the previous file whole."""

import io
import json
import os

import numpy as np
import pytest

from nnstudio.core.network import LayerSpec
from nnstudio.data.csv_loader import load_csv
from nnstudio.progress import Cancelled
from nnstudio.training import Experiment, Trainer, presets, session_writer
from nnstudio.training.session import Session, SessionError
from nnstudio.training.session_writer import json_ready


def old_text(session: Session) -> str:
    """What the session file held before the streaming writer: one json.dumps of the whole document."""
    return json.dumps(session.to_dict())


def streamed(session: Session) -> str:
    out = io.StringIO()
    session_writer.write_document(out, session_writer.session_document(session))
    return out.getvalue()


def big_network(optimizer="adam") -> Trainer:
    """More than 512 parameters: the history keeps every weight at a few points of the path (History.path)."""
    exp = Experiment(name="wide", dataset="spiral", dataset_params={"size": 120, "noise": 0.1, "seed": 1},
                     layers=[LayerSpec(24, "tanh"), LayerSpec(20, "relu"), LayerSpec(1, "sigmoid")],
                     loss="binary_cross_entropy", optimizer=optimizer, learning_rate=0.05, momentum=0.9,
                     batch_size=16, epochs=50, dtype="float32")
    t = Trainer(exp)
    t.run(max_updates=70)
    assert t.history.path is not None and len(t.history.path) > 10
    return t


def csv_session(tmp_path) -> Trainer:
    path = tmp_path / "people.csv"
    path.write_text("weight,height,sex\n" + "".join(f"{120 + i},{60 + i % 9},{'fm'[i % 2]}\n" for i in range(40)))
    ds = load_csv(path, test_fraction=0.25, seed=2)
    exp = presets.get("gender-network").replace(dataset="csv", dataset_params=dict(ds.params),
                                                preprocessing="standardize", epochs=5)
    t = Trainer(exp, ds)
    t.run(max_epochs=3)
    return t


@pytest.fixture(params=["fresh", "gender", "path-adam", "path-momentum", "csv", "diverged"])
def session(request, tmp_path):
    kind = request.param
    if kind == "fresh":  # nothing trained yet: the last outputs are NaN, written as null
        t = Trainer(presets.get("trask-neuron"))
    elif kind == "gender":
        t = Trainer(presets.get("gender-network"))
        t.run(max_updates=300)
    elif kind.startswith("path"):
        t = big_network(kind.split("-")[1])
    elif kind == "csv":  # the data travels in the file
        t = csv_session(tmp_path)
    else:
        t = Trainer(presets.get("gender-network"))
        t.run(max_updates=20)
        t.network.parameters()[0][0, 0] = np.nan
        t.initial_weights[1][0] = np.inf
    kept = []
    if kind in ("gender", "path-adam", "diverged"):  # runs kept for comparison travel in the file too
        from nnstudio.training.runs import KeptRun
        run = KeptRun.from_snapshot(t.snapshot(), t.experiment, "Run 1")
        run.update_loss[-1] = np.inf if kind == "diverged" else run.update_loss[-1]
        run.label = "learning rate 0.5 vs 1"
        kept = [run]
    return Session(t, ui={"window_state": "AAAA", "note": "é ✓", "sizes": (3, 4)}, kept_runs=kept)


def test_the_file_is_byte_for_byte_what_json_dumps_gave(session):
    assert streamed(session) == old_text(session)


def test_slices_of_every_shape_give_the_same_text(session, monkeypatch):
    monkeypatch.setattr(session_writer, "SLICE", 7)  # rows longer than a slice, several rows per slice, ...
    assert streamed(session) == old_text(session)


def test_session_save_writes_it_and_the_file_loads(session, tmp_path):
    path = tmp_path / "s.nnstudio"
    session.save(path)
    assert path.read_text(encoding="utf-8") == old_text(session)
    if not np.isfinite(session.trainer.network.parameters()[0]).all():
        # written as null, faithfully; but weights that are not numbers are refused when the file is opened
        with pytest.raises(SessionError, match=r"W1\): the value at \[0, 0\] is NaN"):
            Session.load(path)
        return
    again = Session.load(path)
    assert all(np.array_equal(a, b, equal_nan=True)
               for a, b in zip(session.trainer.network.parameters(), again.trainer.network.parameters()))
    assert [r.name for r in again.kept_runs] == [r.name for r in session.kept_runs]
    for a, b in zip(session.kept_runs, again.kept_runs):
        assert a.label == b.label and a.settings == b.settings
        np.testing.assert_array_equal(a.update_loss, b.update_loss)
        np.testing.assert_array_equal(a.path, b.path)
        if a.path.size >= 1024:  # packed: its float type kept (a float32 path read back as float64 doubled in size)
            assert b.path.dtype == a.path.dtype


def test_packed_slices_of_any_size_give_the_same_text(monkeypatch):
    from nnstudio import packed

    t = big_network()
    session = Session(t)
    assert '"packed": "float32"' in old_text(session)  # the path (rows of 593 weights) is written as bytes
    for size in (3, 999, 3 * 4096):
        monkeypatch.setattr(session_writer, "PACKED_SLICE", size)
        assert streamed(session) == old_text(session)
    monkeypatch.setattr(packed, "PACKED_MIN", 10**12)
    assert '"packed"' not in old_text(session) and streamed(session) == old_text(session)


def test_a_version_1_file_with_lists_reads_as_the_packed_one_does(tmp_path, monkeypatch):
    """Files written before arrays were packed (version 1) hold every number as a list; they open as before, to the
    very same state."""
    from nnstudio import packed

    t = big_network()
    new_path, old_path = tmp_path / "new.nnstudio", tmp_path / "old.nnstudio"
    Session(t).save(new_path)
    with monkeypatch.context() as m:
        m.setattr(packed, "PACKED_MIN", 10**12)
        d = json.loads(old_text(Session(t)))
    d["version"] = 1
    old_path.write_text(json.dumps(d), encoding="utf-8")
    assert new_path.stat().st_size < 0.6 * old_path.stat().st_size
    new, old = Session.load(new_path).trainer, Session.load(old_path).trainer
    for a, b in zip(new.network.parameters(), old.network.parameters()):
        assert a.dtype == b.dtype == np.float32 and a.tobytes() == b.tobytes()
    assert new.history.path.values.tobytes() == old.history.path.values.tobytes() == t.history.path.values.tobytes()
    for a, b in zip(new.optimizer.state, old.optimizer.state):
        assert all(x.tobytes() == y.tobytes() for x, y in zip(a, b))


def test_a_damaged_packed_array_in_a_session_is_named_in_one_line(tmp_path):
    path = tmp_path / "s.nnstudio"
    d = json.loads(old_text(Session(big_network())))
    values = d["state"]["history"]["path"]["values"]
    values["base64"] = values["base64"][:-8]
    path.write_text(json.dumps(d), encoding="utf-8")
    with pytest.raises(SessionError, match=r"state\.history\.path\.values.*base64 characters, but") as info:
        Session.load(path)
    assert "\n" not in str(info.value)


def test_any_document_of_dicts_lists_scalars_and_arrays(monkeypatch):
    monkeypatch.setattr(session_writer, "SLICE", 5)
    document = {"a": np.arange(23).reshape(23, 1), 3: [np.zeros((0, 4)), np.zeros((2, 0)), np.array(2.5)],
                "b": (True, None, "x\"y", float("nan"), -0.0, 1e300, np.float64("inf")),
                "c": np.array([[1.5, np.nan], [np.inf, -2.0]] * 9, dtype=np.float32),
                "d": np.array([True, False]), "e": {"deep": [[np.arange(12.0)]]}}

    def as_lists(v):
        if isinstance(v, np.ndarray):
            return v.tolist()
        if isinstance(v, dict):
            return {k: as_lists(x) for k, x in v.items()}
        if isinstance(v, (list, tuple)):
            return [as_lists(x) for x in v]
        return v

    out = io.StringIO()
    session_writer.write_document(out, document)
    assert out.getvalue() == json.dumps(json_ready(as_lists(document)))


def test_progress_rises_to_one_in_many_small_steps(monkeypatch, tmp_path):
    session = Session(big_network())
    seen = []
    session_writer.save_session(session, tmp_path / "s.nnstudio", seen.append)
    n = session_writer.count_numbers(session_writer.session_document(session))
    assert len(seen) >= n // session_writer.SLICE  # the arrays went out a slice at a time
    assert seen == sorted(seen) and seen[-1] == 1.0


@pytest.mark.parametrize("stop", [Cancelled, KeyboardInterrupt, OSError])
def test_a_save_stopped_part_way_leaves_the_previous_file_whole(tmp_path, stop):
    path = tmp_path / "keep.nnstudio"
    path.write_text("the previous session")
    session = Session(big_network())
    calls = []

    def progress(fraction):
        calls.append(fraction)
        if fraction > 0.5:
            raise stop("stopped")

    with pytest.raises(stop):
        session_writer.save_session(session, path, progress)
    assert calls and path.read_text() == "the previous session"
    assert os.listdir(tmp_path) == ["keep.nnstudio"]  # no temporary left behind
