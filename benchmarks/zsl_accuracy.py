"""Zero-shot accuracy benchmark: the same as `smie bench-zsl` (markdown table; --json FILE for the JSON)."""

import sys

from core.cli import main as smie_main


def main(argv: list[str] | None = None) -> int:
    return smie_main(["bench-zsl", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    sys.exit(main())
