"""`smie --help`: every sub-command and option described, everyday commands listed before benchmarks."""

import argparse
import subprocess
import sys
from pathlib import Path

from core.cli import COMMAND_GROUPS, all_subcommand_parsers, build_parser

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def undescribed(parser: argparse.ArgumentParser) -> list[str]:
    """'prog: what' for each sub-command without a help line or description and each option without help."""
    missing = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            helps = {pseudo.dest: pseudo.help for pseudo in action._choices_actions}  # only those given help=
            for name, sub in action.choices.items():
                if not helps.get(name):
                    missing.append(f"{parser.prog}: sub-command {name} has no help line")
                if not sub.description:
                    missing.append(f"{sub.prog}: no description")
            continue
        if not action.help:
            missing.append(f"{parser.prog}: {'/'.join(action.option_strings) or action.dest} has no help")
    return missing


def test_the_walker_finds_an_option_and_a_command_without_help():
    parser = argparse.ArgumentParser(prog="toy")
    parser.add_argument("--bare")
    parser.add_subparsers().add_parser("quiet")
    assert undescribed(parser) == ["toy: --bare has no help", "toy: sub-command quiet has no help line",
                                   "toy quiet: no description"]


def test_every_command_and_option_is_described():
    parser = build_parser()
    missing = undescribed(parser)
    for sub in all_subcommand_parsers(parser):
        missing += undescribed(sub)
    assert not missing, "\n".join(missing)


def test_help_lists_everyday_commands_first_and_every_command_once():
    out = subprocess.run([sys.executable, "-m", "core", "--help"], capture_output=True, text=True, check=True,
                         cwd=PROJECT_ROOT).stdout
    positions = [out.index(f"\n  {name} ") for group in COMMAND_GROUPS.values() for name in group]
    assert positions == sorted(positions), out
    assert out.index("everyday commands:") < out.index("training:") < out.index("benchmarks:")
    listed = {line.split()[0] for line in out.splitlines() if line.startswith("  ") and not line.startswith("   ")
              and not line.lstrip().startswith("-")}
    assert set(build_parser()._subparsers._group_actions[0].choices) <= listed, out
