"""Atomic writes: nothing half-written, symlinks written through, stale temporaries of ours cleaned up."""

import os
import time

import pytest

from nnstudio.fileio import atomic_write, atomic_write_text, remove_stale_temporaries


def test_writes_and_keeps_permissions(tmp_path):
    target = tmp_path / "a.nnstudio"
    atomic_write_text(target, "one")
    os.chmod(target, 0o600)
    atomic_write_text(target, "two")
    assert target.read_text() == "two"
    assert target.stat().st_mode & 0o777 == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["a.nnstudio"]


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path):
    target = tmp_path / "a.nnstudio"
    target.write_text("old")

    def boom(f):
        f.write("half")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        atomic_write(target, boom)
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["a.nnstudio"]


def test_saving_over_a_symlink_writes_through_to_its_target(tmp_path):
    real = tmp_path / "store" / "real.nnstudio"
    real.parent.mkdir()
    real.write_text("old")
    link = tmp_path / "link.nnstudio"
    link.symlink_to(real)
    written = atomic_write_text(link, "new")
    assert link.is_symlink(), "the link was replaced by a file"
    assert real.read_text() == "new" and written == real
    assert sorted(p.name for p in real.parent.iterdir()) == ["real.nnstudio"]


def test_stale_temporaries_of_ours_are_removed_when_saving_again(tmp_path):
    target = tmp_path / "run.nnstudio"
    target.write_text("x")
    stale = tmp_path / ".run.nnstudio.abcd_123.tmp"  # what a kill -9 during a save leaves
    fresh = tmp_path / ".run.nnstudio.zzzz9999.tmp"  # a save in progress right now (another process)
    other = tmp_path / ".other.nnstudio.abcd_123.tmp"  # another file's
    mine_not = tmp_path / ".run.nnstudio.backup.tmp"  # not our pattern
    for p in (stale, fresh, other, mine_not):
        p.write_text("junk")
    old = time.time() - 3600
    for p in (stale, other, mine_not):
        os.utime(p, (old, old))
    atomic_write_text(target, "y")
    names = sorted(p.name for p in tmp_path.iterdir())
    assert stale.name not in names
    assert {fresh.name, other.name, mine_not.name, "run.nnstudio"} <= set(names)
    assert remove_stale_temporaries(target, older_than=0) == [fresh]
