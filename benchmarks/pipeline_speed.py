"""Live pipeline speed on the tai chi demo video with 120 labels: pose, scorer and end-to-end latency, memory."""

import argparse
import logging
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout without installing

from bench_report import emit, machine, model_or_random  # noqa: E402

from core.commands.bench_pipeline import bench_pipeline  # noqa: E402
from core.paths import data_root  # noqa: E402


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--video", default=str(data_root() / "video" / "ta_chi.mp4"))
    parser.add_argument("--labels", type=int, default=120)
    parser.add_argument("--model", default=None,
                        help="model folder (default: models/default, or random weights when it is missing)")
    parser.add_argument("--device", default=None)
    parser.add_argument("--repeat", type=int, default=1, help="runs; the report lists each")
    parser.add_argument("--out", default=None, help="also write the JSON here")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)

    with tempfile.TemporaryDirectory(prefix="smie-bench-") as scratch:
        model_dir, model_name = model_or_random(args.model, scratch)
        runs = [bench_pipeline(args.video, model_dir, args.labels, device=args.device) for _ in range(args.repeat)]
    emit({**machine(), "model": model_name, "runs": runs}, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
