"""The monkey (tests/qt/monkey.py): random actions on the studio's main window, each seed in a subprocess, must find
no uncaught exception, RuntimeWarning of ours, error box, Qt warning, stall over 2 s, hang or crash. A failure's
message is the monkey's summary: the seed, the failure with its traceback and the last 30 actions (replay them with
``python tests/qt/monkey.py --replay WORKDIR/actions.jsonl``; shrink them with bench/monkey_soak.py --minimise).

Longer runs: ``pytest tests/qt/test_monkey.py --monkey-seconds 300 --monkey-seeds 1,2,3,4`` or
bench/monkey_soak.py. The first tests check that the watch catches each kind of failure at all."""

import importlib.util
from pathlib import Path

_spec = importlib.util.spec_from_file_location("monkey", Path(__file__).with_name("monkey.py"))
monkey = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(monkey)


def pytest_generate_tests(metafunc):
    if "seed" in metafunc.fixturenames:
        seeds = [int(s) for s in metafunc.config.getoption("--monkey-seeds").split(",") if s.strip()]
        metafunc.parametrize("seed", seeds)


def fault(kind: str) -> dict:
    return {"k": "fault", "t": kind}


def test_the_watch_catches_each_kind_of_failure(tmp_path):
    faults = ["exception", "paint", "thread", "qt-warning", "error-box", "stall", "py-warning"]
    result = monkey.run_subprocess(workdir=tmp_path, keep_going=True,
                                   replay=[*(fault(k) for k in faults), {"k": "wait", "ms": 200}])
    found = {(f["action"], f["kind"]) for f in result["failures"]}
    assert {(0, "exception"), (1, "exception"), (2, "exception"), (3, "qt-warning"), (4, "error-box"),
            (5, "stall"), (6, "py-warning")} <= found, monkey.summary(result)
    messages = " | ".join(f["message"] for f in result["failures"])
    for text in ("ZeroDivisionError", "injected in paintEvent", "in thread injected-thread", "injected Qt warning",
                 "an injected error", "stalled for 2.", "RuntimeWarning: injected"):
        assert text in messages
    assert result["returncode"] == 1 and not [f for f in result["failures"] if f["kind"] in ("crash", "hang")]


def test_a_crash_is_reported_with_its_traceback_and_the_actions_before_it(tmp_path):
    result = monkey.run_subprocess(workdir=tmp_path, replay=[{"k": "wait", "ms": 50}, fault("segfault")])
    [crash] = result["failures"]
    assert crash["kind"] == "crash" and "Segmentation fault" in crash["message"]
    assert "in _do_fault" in crash["details"]  # faulthandler's traceback of the GUI thread
    assert [a["k"] for a in result["last_actions"]] == ["wait", "fault"]
    assert "seed" in monkey.summary(result) and "fault segfault" in monkey.summary(result)


def test_a_hang_is_reported_with_where_the_gui_thread_is(tmp_path):
    result = monkey.run_subprocess(workdir=tmp_path, replay=[fault("hang")], env={"MONKEY_HANG_S": "3"})
    kinds = [f["kind"] for f in result["failures"]]
    assert "hang" in kinds, monkey.summary(result)
    hang = result["failures"][kinds.index("hang")]
    assert "Thread MainThread" in hang["details"] and "in _do_fault" in hang["details"]


def test_the_monkey_finds_nothing_wrong(seed, tmp_path, request):
    seconds = request.config.getoption("--monkey-seconds")
    result = monkey.run_subprocess(seed, seconds, tmp_path)
    print(monkey.summary(result))
    assert not result["failures"], monkey.summary(result)
    assert result["actions"] >= 10 and result["progress"]["max_updates"] > 0  # it did drive the studio
