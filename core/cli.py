"""The `smie` command line: one sub-command per module in core/commands, each with add_parser() and run()."""

import argparse
import importlib
import logging
import sys

from core import __version__

# Sub-command name -> module in core.commands (one module may serve several names).
# Modules import their heavy dependencies inside run(), so `smie --version` stays fast.
COMMANDS = {
    "pretrain": "core.commands.train",
    "train": "core.commands.train",
    "eval": "core.commands.train",
    "bench-zsl": "core.commands.bench_zsl",
    "run": "core.commands.run",
    "bench-pipeline": "core.commands.bench_pipeline",
    "data": "core.commands.data",
    "bench-encoder": "core.commands.bench",
    "bench-scorer": "core.commands.bench",
    "record": "core.commands.record",
    "eval-clips": "core.commands.eval_clips",
    "convert": "core.commands.convert",
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="smie", description="SMIE Live: zero-shot skeleton action recognition")
    parser.add_argument("--version", action="version", version=f"smie-live {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug messages")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module_name in dict.fromkeys(COMMANDS.values()):  # a module may add several sub-commands
        importlib.import_module(module_name).add_parser(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(levelname)s %(name)s: %(message)s")
    if not getattr(args, "run", None):
        parser.print_help()
        return 2
    try:
        return int(args.run(args) or 0)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
