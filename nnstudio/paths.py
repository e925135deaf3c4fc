"""Where NN Studio's shipped files are. Code asks ``resource_path``; nothing depends on the working directory."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def resources_dir() -> Path:
    """The ``resources`` folder: inside the installed package (the wheel puts it at ``nnstudio/resources``), or at
    the top of the source tree when running from a checkout or an editable install."""
    for candidate in (_PACKAGE / "resources", _PACKAGE.parent / "resources"):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError("NN Studio's resources folder is missing from this installation")


def resource_path(*parts: str) -> Path:
    """The path of a shipped file, e.g. ``resource_path("DATA_LICENSE")``."""
    return resources_dir().joinpath(*parts)
