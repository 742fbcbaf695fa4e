"""`smie calibrate`: fit a model's softmax temperature for unseen labels on the pseudo-unseen classes of a second
model trained without them, and store it in the model."""

import json
import sys
from pathlib import Path

from core.model.text import TextEncoder
from core.training.calibration import LIST_SIZES
from core.training.class_text import label_text


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "calibrate", help="fit the temperature for unseen labels on a second model's held-out classes",
        description="Score the classes a second model was trained without (smie pretrain --holdout, then smie "
                    "train) against label lists of several sizes, fit one softmax temperature per size, and store "
                    "it in --model's model.json, which the app, smie run and the evaluations then use.")
    parser.add_argument("--model", type=Path, required=True, help="the model folder to store the temperature in")
    parser.add_argument("--from", dest="source", type=Path, required=True,
                        help="a model trained with the same recipe but with classes held out (its unseen classes)")
    parser.add_argument("--sizes", default=",".join(map(str, LIST_SIZES)),
                        help="label-list sizes to fit a temperature for (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the drawn label lists")
    parser.add_argument("--json", action="store_true", help="print the fitted temperatures and figures as JSON")
    parser.set_defaults(run=run)


def _sizes(text: str) -> list[int]:
    try:
        sizes = sorted({int(part) for part in text.split(",") if part.strip()})
    except ValueError:
        sizes = []
    if not sizes or sizes[0] < 2:
        raise ValueError(f"--sizes {text!r}: give list sizes of 2 or more, separated by commas")
    return sizes


def run(args) -> int:
    # pulls in torch: imported on use so `smie --help` stays fast
    from core.model.checkpoint import METADATA_FILE, CheckpointError, load_model, read_metadata, update_metrics
    from core.training.calibration import fit_unseen_temperatures
    from core.training.experiment import load_pooled
    from core.training.train_head import extract_features, score

    try:
        sizes = _sizes(args.sizes)
        target = read_metadata(args.model)
        source = load_model(args.source)
    except (ValueError, CheckpointError, OSError) as error:
        print(f"smie calibrate: {error}", file=sys.stderr)
        return 2
    meta = source.metadata
    unseen_names = meta.metrics.get("unseen_classes") or []
    if not unseen_names:
        print(f"smie calibrate: {args.source} was trained on all classes: it has no held-out classes to fit on",
              file=sys.stderr)
        return 2
    if (meta.text_model, meta.head_kind) != (target.text_model, target.head_kind):
        print(f"smie calibrate: {args.source} ({meta.head_kind}, {meta.text_model}) and {args.model} "
              f"({target.head_kind}, {target.text_model}) are not trained the same way", file=sys.stderr)
        return 2
    names = list(meta.seen_classes) + list(unseen_names)
    arrays = load_pooled(meta.metrics["datasets"])
    unseen = arrays.restrict_classes(unseen_names)
    text = label_text(TextEncoder(meta.text_model), names, meta.text_use_descriptions, tuple(meta.text_templates))
    scores = score(source.head, extract_features(source.encoder, unseen.x), text)
    truth = unseen.labels + len(meta.seen_classes)
    old = float(target.metrics.get("temperature", 1.0))
    fitted = fit_unseen_temperatures(scores, truth, len(names), old, sizes, args.seed)
    summary = {"temperatures": fitted.temperatures, "before": fitted.before, "after": fitted.after,
               "fitted_on": {"model": str(args.source), "pseudo_unseen_classes": list(unseen_names),
                             "clips": int(len(unseen.x)), "seen_temperature": old, "seed": args.seed}}
    update_metrics(args.model, {"unseen_temperature": {str(size): t for size, t in fitted.temperatures.items()},
                                "unseen_calibration": summary["fitted_on"]})
    if args.json:
        print(json.dumps(summary, default=float))
        return 0
    print(f"{len(unseen.x)} clips of {len(unseen_names)} classes {args.source} never trained on; "
          f"stored in {Path(args.model) / METADATA_FILE}")
    for size in sizes:
        before, after = fitted.before[size], fitted.after[size]
        print(f"  {size:3d} labels: temperature {fitted.temperatures[size]:.3f} (was {old:.3f})  "
              f"ECE {before['ece']:.3f} -> {after['ece']:.3f}  NLL {before['nll']:.2f} -> {after['nll']:.2f}")
    return 0
