"""Screenshots of each lesson's key page beside the studio, under a virtual X server, e.g.

    xvfb-run -a -s "-screen 0 1400x900x24" uv run python packaging/make_lesson_screenshots.py OUT_DIR [NAME ...]

Each lesson is stepped through with its Next button up to its key page (every page on the way sets the studio up,
runs included), then the whole X screen is shot with ImageMagick's ``import``, as a person sees it."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from shots import app_with_fresh_settings, studio_window

KEY_PAGES = {"t1-chain-rule": 1, "t2-gender-network": 3, "t3-mnist": 2, "t4-perceptron-50k": 1,
             "t5-linear-regression": 4}


def main() -> None:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "screenshots")
    names = sys.argv[2:] or list(KEY_PAGES)
    out.mkdir(parents=True, exist_ok=True)
    app = app_with_fresh_settings()

    w = studio_window()

    def settle(seconds: float = 1.0) -> None:
        """Let queued work start, wait for any run to end, then give the views time to draw."""
        end = time.monotonic() + 0.3
        while time.monotonic() < end or w.worker.running or w.run_action.isChecked():
            app.processEvents()
            time.sleep(0.01)
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            app.processEvents()
            time.sleep(0.01)

    for name in names:
        w.lessons.open_key(f"builtin:{name}")
        w.lesson_dock.show()
        settle()
        for page in range(1, KEY_PAGES[name] + 1):
            w.lessons.next_button.click()
            settle()
        settle(2.0)
        w.pull_snapshot()
        path = out / f"lesson-{name}.png"
        subprocess.run(["import", "-window", "root", str(path)], check=True)
        print(f"{path}: page {w.lessons.index + 1}, update {w.worker.latest().step}, notes {w.lessons.notes}",
              flush=True)
    w.close()


if __name__ == "__main__":
    main()
