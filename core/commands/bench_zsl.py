"""`smie bench-zsl`: zero-shot accuracy of SMIE and its baselines, side by side, over splits and seeds."""

import json
from pathlib import Path

from core.commands import odd_kernel_frames
from core.model.streams import STREAMS
from core.model.text import PROMPT_TEMPLATES, TextEncoder
from core.paths import data_root
from core.readers.datasets import dataset_folder, dataset_names, load_dataset, other_datasets
from core.training.protocols import utd_mhad_split, utd_pool_datasets

UTD_SPLITS = "ru5,ru9,ru13"
from core.training.training_data import load_arrays


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "bench-zsl", help="zero-shot benchmark: DeViSE, RelationNet, SMIE variants",
        description="Pretrain an encoder per split and seed, train every method's head on the same frozen "
                    "features and print a table of zero-shot top-1 on the unseen classes (mean and spread over "
                    "seeds). --ablation adds one lever per row instead; --merge joins runs made in parallel.")
    parser.add_argument("--dataset", default="utd_mhad", choices=dataset_names(), metavar="NAME",
                        help="target dataset, one of %(choices)s: utd_mhad runs its built-in splits, any other the "
                             "cross-dataset protocol (see --cross-dataset)")
    parser.add_argument("--splits", default=None, help=f"comma-separated utd_mhad split names (default {UTD_SPLITS}, none "
                                                       "with --cross-dataset; '' with --pooled: the pooled setting "
                                                       "only)")
    parser.add_argument("--cross-dataset", action="store_true",
                        help="zero-shot on the whole target dataset: pretrain on every other registered dataset's "
                             "clips except the classes that cover one of the target's (assets/labels/"
                             "pooled_classes.tsv), then score all its clips against its own class names; always on "
                             "for a target other than utd_mhad")
    parser.add_argument("--seeds", type=int, default=1, help="seeds per split (mean and std are reported)")
    parser.add_argument("--first-seed", type=int, default=0, help="seeds run are first-seed .. first-seed+seeds-1")
    parser.add_argument("--methods", default="devise,relationnet,revise,smie_no_temporal,smie,smie_attributes,smie_desc",
                        help="comma-separated methods to compare (default: %(default)s; smie_attributes: SMIE plus "
                             "the attribute term, its weights fitted on pseudo-unseen classes of a second encoder, "
                             "with per-pair accuracy and the mirror test)")
    parser.add_argument("--no-attributes", action="store_true",
                        help="leave the attribute term out (no smie_attributes row, no second encoder for it)")
    parser.add_argument("--pooled", action="store_true",
                        help="add the pooled setting: pretrain on MSR+UTKinect+GTU+NTU samples, test on UTD-MHAD classes none contains")
    parser.add_argument("--ablation", action="store_true",
                        help="ablation table: SMIE with one lever added per row, then the baselines with all of them")
    parser.add_argument("--ablation-steps", default="base,pool,descriptions,negatives,mirror,attributes,streams,finetune",
                        help="levers added row by row, in this order (default: all)")
    parser.add_argument("--text", default="names", choices=["names", "descriptions", "mixed"],
                        help="label text of the methods that do not fix their own (mixed: trained on names and "
                             "descriptions, tested on descriptions)")
    parser.add_argument("--select-text", action="store_true",
                        help="choose --text per split and seed: SMIE's top-1 on pseudo-unseen classes held out of a "
                             "second encoder's pretraining decides (nothing sees the real unseen classes)")
    parser.add_argument("--pool-seen", action="store_true",
                        help="also train on the other datasets' classes that are not and do not cover an unseen class")
    parser.add_argument("--head-target-only", action="store_true",
                        help="with --pool-seen: the encoder pretrains on the pool, the heads learn the target's seen "
                             "classes only (an ablation row of the head's extra classes; not with smie_attributes)")
    parser.add_argument("--temporal-kernel", type=odd_kernel_frames, default=None,
                        help="frames per temporal convolution of the encoder (default: 9, the official ST-GCN's)")
    parser.add_argument("--streams", default="joint",
                        help="comma-separated input streams (joint, bone, motion), one encoder each; with several, "
                             "each method's scores are averaged over them (default joint)")
    parser.add_argument("--prompt-ensemble", action="store_true",
                        help="average every label over core.model.text.PROMPT_TEMPLATES ('a person {label}', ...)")
    parser.add_argument("--finetune-blocks", type=int, default=0,
                        help="SMIE heads then train with the encoder's last N blocks (default 0: frozen encoder)")
    parser.add_argument("--device", default="", help="torch device for training (default: cuda when present)")
    parser.add_argument("--merge", nargs="+", type=Path, default=None, metavar="JSON",
                        help="merge the summaries of runs with different seeds into one table (no training)")
    parser.add_argument("--pretrain-epochs", type=int, default=None,
                        help="encoder pretraining epochs per split and seed (default 40)")
    parser.add_argument("--pretrain-balance", default="", choices=["", "classes", "datasets"],
                        help="pretraining draws each epoch's clips so every class, or every dataset, gets the same "
                             "share (default: every clip once an epoch); an ablation row of pooled runs")
    parser.add_argument("--head-epochs", type=int, default=None, help="training epochs of each head (default 100)")
    parser.add_argument("--head-balance", default="", choices=["", "classes"],
                        help="each head's epochs draw the clips so every seen class gets the same share (default: "
                             "every clip once an epoch); an ablation row of pooled runs")
    parser.add_argument("--json", dest="json_path", type=Path, default=None, help="write the summary JSON here")
    parser.add_argument("--no-progress", action="store_true", help="no progress bars (for logs and CI)")
    parser.add_argument("--results", type=Path, default=None, metavar="DIR",
                        help="where each finished (split, seed, method) result is written as it ends and read back "
                             "instead of run again, so a stopped benchmark continues (default: benchmarks/results "
                             "in the project)")
    parser.add_argument("--no-results", action="store_true", help="run everything and store no per-run results")
    parser.set_defaults(run=run)


def merge_summaries(paths: list[Path]) -> dict:
    """{method: {split: [top1 fractions]}} of several summary JSONs (their per-seed "runs", in percent)."""
    runs: dict = {}
    for path in paths:
        try:
            summary = json.loads(path.read_text())
        except (OSError, json.JSONDecodeError) as error:
            raise ValueError(f"{path}: not a bench-zsl summary JSON ({error})") from error
        for method, per_split in summary.items():
            for split, cell in per_split.items():
                if not isinstance(cell, dict) or "runs" not in cell:
                    raise ValueError(f"{path}: {method}/{split} has no 'runs' list")
                runs.setdefault(method, {}).setdefault(split, []).extend(v / 100 for v in cell["runs"])
    return runs


def write_summary(summary: dict, json_path: Path | None) -> None:
    if json_path:
        json_path.parent.mkdir(parents=True, exist_ok=True)
        json_path.write_text(json.dumps(summary, indent=2))


def write_results(summary: dict, details: dict | None, columns: list[str], json_path: Path | None) -> None:
    # pulls in torch: imported on use so `smie --help` stays fast
    from core.benchmark.zsl_bench import markdown_table

    print(markdown_table(summary, columns))
    write_summary(summary, json_path)
    if json_path and details is not None:
        json_path.with_suffix(".details.json").write_text(json.dumps(details, indent=2, default=str))


def cross_dataset_problem(args, cross: bool) -> str | None:
    """Why these options cannot run, or None. Only utd_mhad has built-in splits and the pooled settings."""
    if args.dataset != "utd_mhad" and args.splits:
        return f"--splits: {args.dataset} has no built-in splits; it runs the cross-dataset protocol only"
    if args.dataset != "utd_mhad" and args.pooled:
        return f"--pooled tests on UTD-MHAD classes; give --dataset utd_mhad (the target here is {args.dataset})"
    clashing = [flag for flag, given in (("--ablation", args.ablation), ("--pool-seen", args.pool_seen),
                                         ("--select-text", args.select_text)) if given]
    if cross and clashing:
        return (f"{', '.join(clashing)} cannot be combined with the cross-dataset protocol (--dataset "
                f"{args.dataset}{' --cross-dataset' if args.cross_dataset else ''}): it already trains on the pool")
    return None


def cross_dataset_task(target: str, target_arrays, root: Path):
    """(arrays, split) of the cross-dataset protocol on `target`, after printing what was left out and kept."""
    # pulls in torch: imported on use so `smie --help` stays fast
    from core.training.experiment import load_pooled
    from core.training.protocols import cross_dataset_split

    others = other_datasets(target)
    present = [name for name in others if dataset_folder(name, root).is_dir()]
    if not present:
        raise ValueError(f"cross-dataset on {target}: none of {', '.join(others)} is under {root} (set SMIE_DATA)")
    pool_arrays = load_pooled(present)
    plan = cross_dataset_split(target, target_arrays, pool_arrays)
    print(cross_dataset_report(target, plan, pool_arrays, present, [n for n in others if n not in present]))
    return plan.arrays, plan.split


def cross_dataset_report(target: str, plan, pool_arrays, present: list[str], missing: list[str]) -> str:
    unseen = plan.split.unseen_names
    target_clips = int(sum((plan.arrays.labels == i).sum() for i in plan.split.unseen))
    lines = [(f"cross-dataset on {target}: {len(unseen)} classes, {target_clips} clips, scored against its own "
             "class names"),
             f"pretraining pool: {', '.join(present)}" + (f" (not found: {', '.join(missing)})" if missing else ""),
             (f"left out of training: {len(plan.left_out)} classes, {plan.left_out_clips} clips (each covers a "
             f"class of {target}):")]
    for name, covered in sorted(plan.left_out.items()):
        rows = pool_arrays.labels == pool_arrays.class_names.index(name)
        datasets = ", ".join(dict.fromkeys(str(d) for d in pool_arrays.datasets[rows]))
        lines.append(f"  {name} ({datasets}; {int(rows.sum())} clips) covers {', '.join(covered)}")
    kept = len(plan.split.seen)
    lines.append(f"kept for training: {kept} classes, {len(pool_arrays.labels) - plan.left_out_clips} clips")
    return "\n".join(lines)


def run(args) -> int:
    # pulls in torch: imported on use so `smie --help` stays fast
    from core.benchmark.results_store import DEFAULT_RESULTS_DIR, ResultStore, run_or_load
    from core.benchmark.zsl_bench import run_pooled, run_split, summarise
    from core.benchmark.zsl_runs import BENCH_METHODS, BenchConfig

    if args.merge:
        try:
            runs = merge_summaries(args.merge)
        except ValueError as error:
            print(error)
            return 2
        columns = list(dict.fromkeys(split for per_split in runs.values() for split in per_split))
        write_results(summarise(runs), None, columns, args.json_path)
        return 0
    methods = tuple(m.strip() for m in args.methods.split(",") if m.strip()
                    and not (args.no_attributes and m.strip() == "smie_attributes"))
    unknown = [m for m in methods if m not in BENCH_METHODS]
    if unknown:
        print(f"unknown methods {unknown}; known: {list(BENCH_METHODS)}")
        return 2
    streams = tuple(dict.fromkeys(s.strip() for s in args.streams.split(",") if s.strip()))
    if not streams or any(s not in STREAMS for s in streams):
        print(f"--streams {args.streams!r}: give one or more of {', '.join(STREAMS)}, separated by commas")
        return 2
    if args.head_target_only and (not args.pool_seen or "smie_attributes" in methods):
        print("--head-target-only needs --pool-seen and a method list without smie_attributes (its second "
              "encoder's heads pool the classes)")
        return 2
    if args.select_text and args.pool_seen:
        print("--select-text and --pool-seen cannot be combined: pooled classes may cover a pseudo-unseen one")
        return 2
    cross = args.cross_dataset or args.dataset != "utd_mhad"
    problem = cross_dataset_problem(args, cross)
    if problem:
        print(problem)
        return 2
    split_names = tuple(s.strip() for s in (UTD_SPLITS if args.splits is None and not cross else args.splits or "")
                        .split(",") if s.strip())
    # pulls in torch: imported on use so `smie --help` stays fast
    from core.model.stgcn import STGCNConfig

    num_blocks = len(STGCNConfig().channels)
    if not 0 <= args.finetune_blocks <= num_blocks:
        print(f"--finetune-blocks {args.finetune_blocks}: give 0 (frozen encoder) to {num_blocks}")
        return 2
    pretrain = {"device": args.device, **({"epochs": args.pretrain_epochs} if args.pretrain_epochs else {}),
                **({"balance": args.pretrain_balance} if args.pretrain_balance else {})}
    head = {"device": args.device, **({"epochs": args.head_epochs} if args.head_epochs else {}),
            **({"balance": args.head_balance} if args.head_balance else {})}
    config = BenchConfig(dataset=args.dataset, splits=split_names, seeds=args.seeds,
                         first_seed=args.first_seed, methods=methods, pretrain=pretrain, head=head, text=args.text,
                         pool_seen=args.pool_seen, pool_head=not args.head_target_only,
                         encoder={"temporal_kernel": args.temporal_kernel} if args.temporal_kernel else {},
                         streams=streams, finetune={"blocks": args.finetune_blocks} if args.finetune_blocks else {},
                         templates=PROMPT_TEMPLATES if args.prompt_ensemble else ("{label}",),
                         select_text=args.select_text)
    rows = None
    if args.ablation:
        # pulls in torch: imported on use so `smie --help` stays fast
        from core.benchmark.zsl_ablation import ablation_configs

        steps = tuple(s.strip() for s in args.ablation_steps.split(",") if s.strip()
                      and not (args.no_attributes and s.strip() == "attributes"))
        try:
            rows = ablation_configs(config, steps)
        except ValueError as error:
            print(error)
            return 2
    root = data_root()
    if not (root / args.dataset).is_dir():
        print(f"dataset folder {root / args.dataset} not found (set SMIE_DATA)")
        return 2
    text_encoder = TextEncoder()
    arrays = load_arrays(args.dataset)
    class_names = list(load_dataset(args.dataset).class_names) if config.splits else []
    splits = [utd_mhad_split(class_names, name, root / args.dataset / "splits") for name in config.splits]
    pool_arrays = None
    if args.pool_seen or (rows and any(row_config.pool_seen for _, row_config in rows)):
        # pulls in torch: imported on use so `smie --help` stays fast
        from core.training.experiment import load_pooled

        pool_arrays = load_pooled(utd_pool_datasets(other_datasets(args.dataset)))
    tasks = [(arrays, split) for split in splits]
    if cross:
        try:
            tasks.append(cross_dataset_task(args.dataset, arrays, root))
        except (KeyError, ValueError) as error:  # a pooled class without a row in the meaning table, no pool
            print(str(error).strip("'\""))
            return 2
    seeds = range(config.first_seed, config.first_seed + config.seeds)
    if rows is not None:
        # pulls in torch: imported on use so `smie --help` stays fast
        from core.benchmark.zsl_ablation import run_ablation

        runs, details = run_ablation(arrays, splits, rows, text_encoder, pool_arrays, not args.no_progress,
                                     lambda runs, _: write_summary(summarise(runs), args.json_path))
        write_results(summarise(runs), details, [split.name for split in splits], args.json_path)
        return 0
    runs: dict = {m: {} for m in methods}
    details = {}
    store = None if args.no_results else ResultStore(config, args.results or DEFAULT_RESULTS_DIR)
    for split_arrays, split in tasks:
        for seed in seeds:
            result = run_or_load(store, args.dataset, split.name, seed, config,
                                 lambda c, split_arrays=split_arrays, split=split, seed=seed:
                                 run_split(split_arrays, split, seed, c, text_encoder, not args.no_progress,
                                           pool_arrays))
            details[f"{split.name}/seed{seed}"] = result
            for method, metrics in result["methods"].items():
                runs.setdefault(method, {}).setdefault(split.name, []).append(metrics["top1"])
    if args.pooled:
        for seed in seeds:
            result = run_or_load(store, f"pooled-{args.dataset}", "pooled", seed, config, lambda c, seed=seed:
                                 run_pooled(seed, c, text_encoder, progress=not args.no_progress))
            details[f"pooled/seed{seed}"] = result
            for method, metrics in result["methods"].items():
                runs.setdefault(method, {}).setdefault("pooled", []).append(metrics["top1"])
    columns = [split.name for _, split in tasks] + (["pooled"] if args.pooled else [])
    write_results(summarise(runs), details, columns, args.json_path)
    return 0
