import json
import os

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
    assert np.array_equal(t.snapshot().update_loss, u.snapshot().update_loss)
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
