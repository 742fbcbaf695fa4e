"""`smie bench-zsl`: zero-shot accuracy of SMIE and its baselines, side by side, over splits and seeds."""

import json
from pathlib import Path


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser("bench-zsl", help="zero-shot benchmark: DeViSE, RelationNet, SMIE variants")
    parser.add_argument("--dataset", default="utd_mhad", choices=["utd_mhad"], help="dataset with built-in splits")
    parser.add_argument("--splits", default="ru5,ru9,ru13", help="comma-separated split names ('' with --pooled: "
                                                                 "the pooled setting only)")
    parser.add_argument("--seeds", type=int, default=1, help="seeds per split (mean and std are reported)")
    parser.add_argument("--methods", default="devise,relationnet,revise,smie_no_temporal,smie,smie_desc")
    parser.add_argument("--pooled", action="store_true",
                        help="add the pooled setting: pretrain on MSR+UTKinect+GTU+NTU samples, test on UTD-MHAD classes none contains")
    parser.add_argument("--pretrain-epochs", type=int, default=None)
    parser.add_argument("--head-epochs", type=int, default=None)
    parser.add_argument("--json", dest="json_path", type=Path, default=None, help="write the summary JSON here")
    parser.add_argument("--no-progress", action="store_true")
    parser.set_defaults(run=run)


def run(args) -> int:
    from core.datasets import load_dataset
    from core.paths import data_root
    from core.protocols import utd_mhad_split
    from core.text import TextEncoder
    from core.training_data import load_arrays
    from core.zsl_bench import BENCH_METHODS, BenchConfig, markdown_table, run_pooled, run_split, summarise

    methods = tuple(m.strip() for m in args.methods.split(",") if m.strip())
    unknown = [m for m in methods if m not in BENCH_METHODS]
    if unknown:
        print(f"unknown methods {unknown}; known: {list(BENCH_METHODS)}")
        return 2
    config = BenchConfig(dataset=args.dataset, splits=tuple(s for s in args.splits.split(",") if s), seeds=args.seeds,
                         methods=methods,
                         pretrain={"epochs": args.pretrain_epochs} if args.pretrain_epochs else {},
                         head={"epochs": args.head_epochs} if args.head_epochs else {})
    root = data_root()
    if not (root / args.dataset).is_dir():
        print(f"dataset folder {root / args.dataset} not found (set SMIE_DATA)")
        return 2
    text_encoder = TextEncoder()
    arrays = load_arrays(args.dataset)
    class_names = list(load_dataset(args.dataset).class_names)
    runs: dict = {m: {} for m in methods}
    details = {}
    for split_name in config.splits:
        split = utd_mhad_split(class_names, split_name, root / args.dataset / "splits")
        for seed in range(config.seeds):
            result = run_split(arrays, split, seed, config, text_encoder, progress=not args.no_progress)
            details[f"{split_name}/seed{seed}"] = result
            for method, metrics in result["methods"].items():
                runs[method].setdefault(split_name, []).append(metrics["top1"])
    if args.pooled:
        for seed in range(config.seeds):
            result = run_pooled(seed, config, text_encoder, progress=not args.no_progress)
            details[f"pooled/seed{seed}"] = result
            for method, metrics in result["methods"].items():
                runs[method].setdefault("pooled", []).append(metrics["top1"])
    summary = summarise(runs)
    columns = list(config.splits) + (["pooled"] if args.pooled else [])
    print(markdown_table(summary, columns))
    if args.json_path:
        args.json_path.parent.mkdir(parents=True, exist_ok=True)
        args.json_path.write_text(json.dumps(summary, indent=2))
        args.json_path.with_suffix(".details.json").write_text(json.dumps(details, indent=2, default=str))
    return 0
