"""`smie-live` before its window: missing X11 libraries named instead of Qt's abort, one form of label options."""

import os
import subprocess
import sys
from pathlib import Path

from app.main import build_parser, missing_libraries, uses_xcb, xcb_problem

PROJECT_ROOT = Path(__file__).resolve().parents[2]
ABSENT = "libsmie-no-such-library.so.7"


def smie_live(code: str, **environment) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(PROJECT_ROOT), **environment)
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=env,
                          cwd=PROJECT_ROOT)


def test_missing_libraries_finds_an_absent_one_and_passes_a_present_one():
    present = "libc.so.6" if sys.platform.startswith("linux") else None
    assert missing_libraries([ABSENT]) == [ABSENT]
    if present:
        assert missing_libraries([present, ABSENT]) == [ABSENT]


def test_xcb_is_checked_only_when_qt_will_use_it():
    assert uses_xcb({"QT_QPA_PLATFORM": "xcb"}) and uses_xcb({"QT_QPA_PLATFORM": "xcb;wayland"})
    assert not uses_xcb({"QT_QPA_PLATFORM": "offscreen"}) and not uses_xcb({"QT_QPA_PLATFORM": "wayland"})
    assert uses_xcb({}, platform="linux") and not uses_xcb({"WAYLAND_DISPLAY": "wayland-0"}, platform="linux")
    assert not uses_xcb({}, platform="win32")
    assert xcb_problem({ABSENT: "smie-pkg"}, {"QT_QPA_PLATFORM": "offscreen"}) is None


def test_missing_xcb_library_names_it_and_the_apt_command():
    problem = xcb_problem({ABSENT: "smie-pkg", "libc.so.6": "libc6"}, {"QT_QPA_PLATFORM": "xcb", "DISPLAY": ":0"})
    assert ABSENT in problem and "sudo apt install smie-pkg" in problem and "libc6" not in problem


def test_smie_live_prints_the_missing_libraries_instead_of_aborting():
    code = (f"import sys, app.main as m; m.XCB_LIBRARIES = {{{ABSENT!r}: 'smie-pkg'}}; "
            "code = m.main(['--settings', '/nonexistent/s.ini']); print('PyQt6' in sys.modules); sys.exit(code)")
    done = smie_live(code, QT_QPA_PLATFORM="xcb", DISPLAY=":0")
    assert done.returncode == 1, done.stderr
    assert f"smie-live: the Qt X11 (xcb) platform needs system libraries that are not installed: {ABSENT}" \
        in done.stderr
    assert "sudo apt install smie-pkg" in done.stderr
    assert done.stdout.strip() == "False", "the check runs before Qt loads"


def test_smie_live_takes_the_same_label_options_as_smie_run():
    args = build_parser().parse_args(["--labels", "wave,clap"])
    assert (args.labels, args.labels_file, args.preset) == ("wave,clap", None, None)
    assert build_parser().parse_args(["--preset", "ntu60"]).preset == "ntu60"
    done = smie_live("import sys, app.main as m; sys.exit(m.main(['--labels', 'wave', 'clap']))")
    assert done.returncode == 2 and '--labels takes one comma-separated list: --labels "A,B,C"' in done.stderr
    done = smie_live("import sys, app.main as m; sys.exit(m.main(['--preset', 'nope']))")
    assert done.returncode == 2 and "unknown label preset 'nope'" in done.stderr
