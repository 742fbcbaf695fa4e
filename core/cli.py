"""The `smie` command line: one sub-command per module in core/commands, each with add_parser() and run()."""

import argparse
import importlib
import sys

from core import __version__
from core.readers.label_presets import reject_unknown_arguments
from core.verbosity import VERBOSE_HELP, configure_output

# Sub-command name -> module in core.commands (one module may serve several names), in groups listed by
# `smie --help` in this order: what a user runs every day first, benchmarks last.
# Modules import their heavy dependencies inside run(), so `smie --version` stays fast.
COMMAND_GROUPS = {
    "everyday commands": {
        "run": "core.commands.run",
        "record": "core.commands.record",
        "eval-clips": "core.commands.eval_clips",
        "convert": "core.commands.convert",
        "data": "core.commands.data",
    },
    "training": {
        "pretrain": "core.commands.train",
        "train": "core.commands.train",
        "eval": "core.commands.train",
        "calibrate": "core.commands.calibrate",
    },
    "benchmarks": {
        "bench-zsl": "core.commands.bench_zsl",
        "bench-pipeline": "core.commands.bench_pipeline",
        "bench-encoder": "core.commands.bench",
        "bench-scorer": "core.commands.bench",
    },
}
COMMANDS = {name: module for group in COMMAND_GROUPS.values() for name, module in group.items()}
HELP_WIDTH = 16  # command names are padded to this in the grouped list


def add_verbose_argument(parser: argparse.ArgumentParser, default=0) -> None:
    parser.add_argument("-v", "--verbose", action="count", default=default, help=VERBOSE_HELP)


def command_list(subparsers_action) -> str:
    """The sub-commands with their one-line help, under the headings of COMMAND_GROUPS."""
    helps = {action.dest: action.help for action in subparsers_action._choices_actions}
    lines = []
    for heading, names in COMMAND_GROUPS.items():
        lines.append(f"{heading}:")
        lines += [f"  {name:<{HELP_WIDTH}}{helps[name]}" for name in names]
    return "\n".join(lines)


def all_subcommand_parsers(parser: argparse.ArgumentParser) -> list[argparse.ArgumentParser]:
    """The parsers of every sub-command, nested ones (`smie data info`) included, depth first."""
    found = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                found += [sub] + all_subcommand_parsers(sub)
    return found


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="smie", usage="smie [-h] [--version] [-v] COMMAND ...", description="SMIE Live: zero-shot skeleton action recognition",
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog="`smie COMMAND --help` describes a command and its options.")
    parser.add_argument("--version", action="version", version=f"smie-live {__version__}")
    add_verbose_argument(parser)
    # The grouped list below replaces argparse's single list (help SUPPRESS hides that one).
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", help=argparse.SUPPRESS, prog="smie")
    for module_name in dict.fromkeys(COMMANDS.values()):  # a module may add several sub-commands
        importlib.import_module(module_name).add_parser(subparsers)
    for sub in all_subcommand_parsers(parser):
        # -v after the command too; SUPPRESS keeps a -v given before the command when none follows it
        add_verbose_argument(sub, default=argparse.SUPPRESS)
    parser.description += "\n\n" + command_list(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    reject_unknown_arguments(parser, extra, argv)
    configure_output(args.verbose)
    if not getattr(args, "run", None):
        parser.print_help()
        return 2
    try:
        return int(args.run(args) or 0)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
