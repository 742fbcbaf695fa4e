"""Encoder and SMIE-head inference speed: one JSON object like `smie bench-encoder --json`, or a before/after table.

    python benchmarks/encoder_speed.py [--batch 1] [--bodies 1] [--variant fused] [--threads 1]
    python benchmarks/encoder_speed.py --table [--rounds 5] [--threads 1 2]

--table times every encoder variant (each optimisation step) and scorer variant in interleaved rounds, so a
load change from other processes hits all of them alike, and prints medians as a Markdown table."""

import argparse
import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout without installing

from core.commands.bench import (  # noqa: E402
    ENCODER_VARIANTS,
    SCORER_VARIANTS,
    bench_encoder,
    encoder_callable,
    random_windows,
    scorer_callable,
    summarize,
    time_calls,
)


def table(rounds: int, thread_counts: list[int], batches: list[int], labels: int) -> list[dict]:
    """Interleaved timings of every (variant, batch, threads); returns one summary dict per row."""
    import torch

    rows = []
    for variant in reversed(ENCODER_VARIANTS):  # the order of the steps: reference first
        encode = encoder_callable(variant)
        for batch in batches:
            x = random_windows(batch, bodies=1)
            for threads in thread_counts:
                rows.append({"what": "encoder", "variant": variant, "batch": batch, "threads": threads,
                             "call": (lambda e=encode, x=x: e(x)), "wall": [], "cpu": []})
    for variant in reversed(SCORER_VARIANTS):
        for threads in thread_counts:
            rows.append({"what": f"SMIE head, {labels} labels", "variant": variant, "batch": 1, "threads": threads,
                         "call": scorer_callable(variant, labels), "wall": [], "cpu": []})
    with torch.inference_mode():
        for round_index in range(rounds):
            for row in rows:
                torch.set_num_threads(row["threads"])
                repeats = 2 if row["batch"] > 1 else 20
                wall, cpu = time_calls(row["call"], repeats, warmup=1 if round_index == 0 else 0)
                row["wall"] += wall
                row["cpu"] += cpu
            print(f"round {round_index + 1}/{rounds} done, load average {os.getloadavg()[0]:.2f}", file=sys.stderr)
    return [dict(summarize(row["wall"], row["cpu"], row["batch"], variant=row["variant"], threads=row["threads"]),
                 what=row["what"]) for row in rows]


def print_table(results: list[dict]):
    print("| what | variant | batch | threads | ms/window p50 | p95 | windows/s | CPU ms/window |")
    print("|---|---|---|---|---|---|---|---|")
    for r in results:
        print(f"| {r['what']} | {r['variant']} | {r['batch']} | {r['threads']} | {r['ms_per_window']['p50']:.3f} | "
              f"{r['ms_per_window']['p95']:.3f} | {r['windows_per_s']:.1f} | {r['cpu_ms_per_window']:.3f} |")
    print(f"\nload average (1, 5, 15 min) at the end: {', '.join(f'{v:.2f}' for v in os.getloadavg())}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=1, help="windows per call (default 1)")
    parser.add_argument("--bodies", type=int, choices=(1, 2), default=1, help="bodies present (default 1)")
    parser.add_argument("--variant", choices=ENCODER_VARIANTS, default="fused", help="encoder variant")
    parser.add_argument("--threads", type=int, nargs="+", default=[0], help="torch threads (0: torch's choice)")
    parser.add_argument("--repeats", type=int, default=0, help="timed calls (default: about 3 s worth)")
    parser.add_argument("--table", action="store_true", help="time every optimisation step, print a table")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds for --table (default 5)")
    parser.add_argument("--table-batches", type=int, nargs="+", default=[1, 128], help="batches for --table")
    parser.add_argument("--labels", type=int, default=120, help="labels for the head rows of --table")
    args = parser.parse_args(argv)
    if args.table:
        threads = [t or 1 for t in args.threads] if args.threads != [0] else [1, 2]
        print_table(table(args.rounds, threads, args.table_batches, args.labels))
        return 0
    result = bench_encoder(args.batch, args.bodies, args.variant, args.threads[0], args.repeats)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
