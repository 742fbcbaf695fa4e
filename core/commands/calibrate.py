"""`smie calibrate`: fit a model's softmax temperature for unseen labels, and the weight of recorded examples
against a label's text, on the pseudo-unseen classes of a second model trained without them; store both in the
model."""

import json
import sys
from pathlib import Path

from core.model.text import TextEncoder
from core.training.calibration import LIST_SIZES
from core.training.class_text import label_text


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "calibrate", help="fit the temperature for unseen labels and the weight of examples on a second model's held-out classes",
        description="Score the classes a second model was trained without (smie pretrain --holdout, then smie "
                    "train) against label lists of several sizes, fit one softmax temperature per size, and store "
                    "it in --model's model.json, which the app, smie run and the evaluations then use. Few-shot "
                    "episodes of the same classes (some labels with 1-5 examples, the others by name) fit how much "
                    "a label's examples count against its text; stored there too.")
    parser.add_argument("--model", type=Path, required=True, help="the model folder to store the temperature in")
    parser.add_argument("--from", dest="source", type=Path, required=True,
                        help="a model trained with the same recipe but with classes held out (its unseen classes)")
    parser.add_argument("--sizes", default=",".join(map(str, LIST_SIZES)),
                        help="label-list sizes to fit a temperature for (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the drawn label lists")
    parser.add_argument("--attributes", action="store_true",
                        help="also fit the attribute term's weights (side, direction, rotation, posture order ...) "
                             "on the same held-out classes and store them in --model")
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
    from core.metrics import model_temperature
    from core.model.checkpoint import METADATA_FILE, CheckpointError, load_model, read_metadata, update_metrics
    from core.model.example_term import METRICS_KEY as EXAMPLE_FUSION_KEY
    from core.training.calibration import fit_unseen_temperatures
    from core.training.experiment import load_pooled
    from core.training.fusion_fit import draw_episodes, fit_fusion
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
    features = extract_features(source.encoder, unseen.x)
    scores = score(source.head, features, text)
    truth = unseen.labels + len(meta.seen_classes)
    old = float(target.metrics.get("temperature", 1.0))
    fitted = fit_unseen_temperatures(scores, truth, len(names), old, sizes, args.seed)
    summary = {"temperatures": fitted.temperatures, "before": fitted.before, "after": fitted.after,
               "fitted_on": {"model": str(args.source), "pseudo_unseen_classes": list(unseen_names),
                             "clips": int(len(unseen.x)), "seen_temperature": old, "seed": args.seed}}
    unseen_temperature = {str(size): t for size, t in fitted.temperatures.items()}
    metrics = {"unseen_temperature": unseen_temperature, "unseen_calibration": summary["fitted_on"]}
    try:
        fusion = fit_fusion(draw_episodes(features, scores[:, len(meta.seen_classes):], unseen.labels,
                                          lambda size: model_temperature(metrics, size), seed=args.seed))
    except ValueError as error:  # too few held-out clips: the model keeps the weights it has
        fusion, summary["example_fusion"] = None, {"not_fitted": str(error)}
    else:
        summary["example_fusion"] = metrics[EXAMPLE_FUSION_KEY] = {
            **fusion.weights.to_dict(), "nll": fusion.nll, "top1": fusion.top1, "episodes": fusion.episodes,
            "queries": fusion.rows}
    update_metrics(args.model, metrics)
    if args.attributes:
        summary["attributes"] = _fit_attributes(args, source, unseen, unseen_names, quiet=args.json)
    if args.json:
        print(json.dumps(summary, default=float))
        return 0
    print(f"{len(unseen.x)} clips of {len(unseen_names)} classes {args.source} never trained on; "
          f"stored in {Path(args.model) / METADATA_FILE}")
    for size in sizes:
        before, after = fitted.before[size], fitted.after[size]
        print(f"  {size:3d} labels: temperature {fitted.temperatures[size]:.3f} (was {old:.3f})  "
              f"ECE {before['ece']:.3f} -> {after['ece']:.3f}  NLL {before['nll']:.2f} -> {after['nll']:.2f}")
    if fusion is None:
        print(f"weight of examples not fitted: {summary['example_fusion']['not_fitted']}")
        return 0
    weights = fusion.weights
    print(f"examples against text ({fusion.episodes} few-shot episodes, {fusion.rows} queries): scale "
          f"{weights.scale:g}, offset {weights.offset:g}, half weight at {weights.half_weight_at:g} examples, "
          f"text replaced {weights.text_drop:g}; "
          f"NLL {fusion.nll['text']:.2f} -> {fusion.nll['fused']:.2f}")
    for shots, top1 in sorted(fusion.top1.items()):
        print(f"  true label with {shots} example(s): top-1 {100 * top1['text']:.1f} % by name -> "
              f"{100 * top1['fused']:.1f} % with examples ({top1['queries']} queries)")
    return 0


def _fit_attributes(args, source, unseen, unseen_names: list[str], quiet: bool) -> dict:
    """Fit the attribute term's weights on the source model's held-out classes and store them in args.model."""
    # pulls in torch: imported on use so `smie --help` stays fast
    from core.benchmark.attribute_pairs import ClipScorer, clip_windows, fit_on_pseudo_unseen
    from core.model.attribute_term import store_attribute_weights
    from core.skeleton.preprocess import PreprocessConfig

    meta = source.metadata
    text_encoder = TextEncoder(meta.text_model)

    def embedder(names):
        return label_text(text_encoder, list(names), meta.text_use_descriptions, tuple(meta.text_templates))

    raw = clip_windows(unseen, PreprocessConfig(**meta.preprocess) if meta.preprocess else None)
    weights, report = fit_on_pseudo_unseen(ClipScorer(source.encoder, source.head, embedder), unseen.x,
                                           raw, unseen.labels, list(unseen_names), {"model": str(args.source)})
    store_attribute_weights(args.model, weights)
    if not quiet:
        print("attribute weights: " + ", ".join(f"{k} {v:.3f}" for k, v in weights.weights.items()))
        for group, figures in report.items():
            print(f"  {group}: {figures['episodes']} episodes, top-1 {100 * figures['top1_before']:.1f}% -> "
                  f"{100 * figures['top1_after']:.1f}%")
    return {"weights": weights.to_dict(), "fit": report}
