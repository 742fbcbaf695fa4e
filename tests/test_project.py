"""Project-level promises: CI runs the README's test command; the command line answers --version."""

import re
import subprocess
import sys

from core import __version__
from core.paths import PROJECT_ROOT


def _readme_commands() -> list[str]:
    text = (PROJECT_ROOT / "README.md").read_text()
    block = re.search(r"## Set up\n.*?```bash\n(.*?)```", text, re.S)
    assert block, "README.md needs a '## Set up' section with a bash block"
    return [line for line in block.group(1).splitlines() if line.strip() and not line.startswith("#")]


def test_readme_has_two_setup_commands_and_ci_runs_the_test_one():
    commands = _readme_commands()
    assert len(commands) == 2, commands
    test_command = commands[1]
    assert "pytest" in test_command
    tail = test_command.split("&&", 2)[-1].strip()  # after creating and activating the venv
    assert tail in (PROJECT_ROOT / ".ci" / "run").read_text(), f"CI must run {tail!r}"


def test_smie_version():
    out = subprocess.run([sys.executable, "-m", "core", "--version"], capture_output=True, text=True, check=True)
    assert __version__ in out.stdout
