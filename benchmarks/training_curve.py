"""Seen-class validation per epoch of a `smie pretrain` run, read from its encoder.json: best epoch, whether the
curve still rose over the last epochs (more epochs would help), the training time, and optionally a PNG.

    python benchmarks/training_curve.py ENCODER_DIR [--png curve.png] [--tail 5]"""

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout without installing

from core.benchmark.training_curve import curve_summary, write_curve_png  # noqa: E402


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("encoder", type=Path, help="a `smie pretrain --out` folder (its encoder.json)")
    parser.add_argument("--png", type=Path, default=None, help="also draw the curve here")
    parser.add_argument("--tail", type=int, default=5, help="epochs at the end compared with those before")
    args = parser.parse_args(argv)
    meta_path = args.encoder / "encoder.json"
    try:
        meta = json.loads(meta_path.read_text())
        summary = curve_summary(meta.get("history") or [], args.tail)
        if args.png:
            write_curve_png(args.png, meta["history"], f"{args.encoder.name}: {len(meta['seen_classes'])} classes, "
                                                       f"{meta.get('clips', '?')} clips")
    except (OSError, ValueError, KeyError) as error:
        print(f"training_curve: {meta_path}: {error}", file=sys.stderr)
        return 2
    print(json.dumps({"encoder": str(args.encoder), "classes": len(meta.get("seen_classes", [])),
                      "clips": meta.get("clips"), "datasets": meta.get("datasets"), **summary}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
