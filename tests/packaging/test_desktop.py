"""Desktop integration on Linux: the .desktop entry, the AppStream metainfo and the session MIME type are valid
(checked by the freedesktop tools when they are installed: desktop-file-utils, appstream), agree with each other, and
packaging/install-desktop-entry installs and removes them for one user."""

from __future__ import annotations

import configparser
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINUX = ROOT / "packaging" / "linux"
ID = "io.github.nnstudio.NNStudio"
DESKTOP = LINUX / f"{ID}.desktop"
METAINFO = LINUX / f"{ID}.metainfo.xml"
MIME = LINUX / f"{ID}.mime.xml"
ICON = ROOT / "resources" / "icons" / "nnstudio.svg"
SCRIPT = ROOT / "packaging" / "install-desktop-entry"
MIME_NS = "{http://www.freedesktop.org/standards/shared-mime-info}"


def entry(path: Path = DESKTOP) -> dict:
    parser = configparser.ConfigParser(interpolation=None, delimiters=("=",))
    parser.optionxform = str
    parser.read(path, encoding="utf-8")
    return dict(parser["Desktop Entry"])


def needs(tool: str) -> str:
    found = shutil.which(tool)
    if found is None:
        pytest.skip(f"{tool} is not installed (apt-get install desktop-file-utils appstream)")
    return found


def test_desktop_file_validates():
    done = subprocess.run([needs("desktop-file-validate"), DESKTOP], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and "error:" not in done.stdout, done.stdout + done.stderr


def test_metainfo_validates():
    done = subprocess.run([needs("appstreamcli"), "validate", "--no-net", METAINFO], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr


def test_entry_metainfo_and_mime_type_agree():
    desktop = entry()
    assert desktop["Categories"].split(";")[:2] == ["Education", "Science"]
    assert desktop["Exec"] == "nnstudio %f" and desktop["Icon"] == ID
    mime = ET.parse(MIME).getroot().find(f"{MIME_NS}mime-type")
    assert desktop["MimeType"] == mime.get("type") + ";"
    assert [g.get("pattern") for g in mime.findall(f"{MIME_NS}glob")] == ["*.nnstudio"]
    meta = ET.parse(METAINFO).getroot()
    assert meta.findtext("id") == ID and meta.find("launchable").text == DESKTOP.name
    assert meta.find("provides/mediatype").text == mime.get("type")
    from nnstudio import __version__

    assert meta.find("releases/release").get("version") == __version__


def test_icon_is_an_svg_of_our_own():
    root = ET.parse(ICON).getroot()
    assert root.tag == "{http://www.w3.org/2000/svg}svg" and root.get("viewBox") == "0 0 256 256"
    assert "image" not in {child.tag.split("}")[-1] for child in root.iter()}  # drawn, not a pasted bitmap


def test_install_and_uninstall_for_one_user(tmp_path):
    prefix = tmp_path / "share"
    studio = tmp_path / "bin" / "nnstudio"
    studio.parent.mkdir()
    studio.write_text("#!/bin/sh\n")
    studio.chmod(0o755)
    done = subprocess.run([SCRIPT, "--prefix", prefix, "--exec", studio], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    installed = prefix / "applications" / DESKTOP.name
    assert entry(installed)["Exec"] == f"{studio} %f"
    assert (prefix / "icons/hicolor/scalable/apps" / f"{ID}.svg").read_bytes() == ICON.read_bytes()
    assert (prefix / "mime/packages" / f"{ID}.xml").is_file() and (prefix / "metainfo" / METAINFO.name).is_file()
    if shutil.which("desktop-file-validate"):
        check = subprocess.run(["desktop-file-validate", installed], capture_output=True, text=True, timeout=60)
        assert check.returncode == 0, check.stdout
    if shutil.which("update-mime-database"):  # the session type is known to the desktop
        assert "*.nnstudio" in (prefix / "mime" / "globs2").read_text()
    done = subprocess.run([SCRIPT, "--prefix", prefix, "--uninstall"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert not installed.exists() and not (prefix / "metainfo" / METAINFO.name).exists()
    if shutil.which("update-mime-database"):
        assert "nnstudio" not in (prefix / "mime" / "globs2").read_text()


def test_install_refuses_a_missing_command(tmp_path):
    done = subprocess.run([SCRIPT, "--prefix", tmp_path, "--exec", tmp_path / "nope"], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 2 and "not an executable file" in done.stderr
    assert not (tmp_path / "applications").exists()
