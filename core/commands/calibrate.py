"""`smie calibrate`: fit, on the pseudo-unseen classes of a second model trained without them, a model's attribute
term weights (--attributes), its softmax temperature for unseen labels, the bias correction of seen labels, the
"unsure" threshold and the weight of recorded examples against a label's text; store them in the model.

Everything after the attribute weights is fitted on the final score the live app uses: SMIE plus the attribute
term when the model has weights (fitted in this run, else those --model stores), else SMIE alone."""

import json
import sys
from pathlib import Path

import numpy as np

from core.model.text import TextEncoder
from core.training.calibration import LIST_SIZES
from core.training.class_text import label_text


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "calibrate", help="fit temperatures, seen-label bias, unsure threshold and example weights on a second "
                          "model's held-out classes",
        description="Score the classes a second model was trained without (smie pretrain --holdout, then smie "
                    "train) against label lists of several sizes, fit one softmax temperature per size, and store "
                    "it in --model's model.json, which the app, smie run and the evaluations then use. Few-shot "
                    "episodes of the same classes (some labels with 1-5 examples, the others by name) fit how much "
                    "a label's examples count against its text; stored there too. Seen validation clips of the "
                    "second model with its held-out ones fit how much to take off labels of trained classes in "
                    "mixed lists, and the list episodes give the top probability under which a result says "
                    "'unsure'.")
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
    from core.benchmark.attribute_pairs import model_attribute_terms
    from core.metrics import UNSURE_KEY, model_temperature
    from core.model.attribute_term import METRICS_KEY as ATTRIBUTE_KEY
    from core.model.attribute_term import load_attribute_weights
    from core.model.checkpoint import METADATA_FILE, CheckpointError, load_model, read_metadata, update_metrics
    from core.model.example_term import METRICS_KEY as EXAMPLE_FUSION_KEY
    from core.model.seen_bias import METRICS_KEY as SEEN_BIAS_KEY
    from core.training.calibration import fit_unseen_temperatures, fit_unsure_below
    from core.training.experiment import load_pooled
    from core.training.fusion_fit import draw_episodes, fit_fusion
    from core.training.seen_bias_fit import fit_seen_bias
    from core.training.train_head import extract_features, score

    try:
        sizes = _sizes(args.sizes)
        target = read_metadata(args.model)
        source = load_model(args.source)
        stored_weights = None if args.attributes else load_attribute_weights(target)
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
    num_seen = len(meta.seen_classes)
    arrays = load_pooled(meta.metrics["datasets"])
    unseen = arrays.restrict_classes(unseen_names)
    text = label_text(TextEncoder(meta.text_model), names, meta.text_use_descriptions, tuple(meta.text_templates))
    features = extract_features(source.encoder, unseen.x)
    scores = score(source.head, features, text)
    truth = unseen.labels + num_seen
    summary, metrics = {}, {}
    weights, raw = stored_weights, None
    if args.attributes:  # first: everything after is fitted on the score with the term
        weights, raw, summary["attributes"] = _fit_attributes(args, source, unseen, unseen_names)
        metrics[ATTRIBUTE_KEY] = weights.to_dict()
    if weights is not None:
        scores = scores + model_attribute_terms(meta, weights, names, unseen, raw)
    summary["score"] = ("SMIE + attribute term (weights fitted here)" if args.attributes else
                        f"SMIE + attribute term (weights stored in {args.model})" if weights is not None else "SMIE")
    old = float(target.metrics.get("temperature", 1.0))
    fitted = fit_unseen_temperatures(scores, truth, len(names), old, sizes, args.seed)
    summary.update(temperatures=fitted.temperatures, before=fitted.before, after=fitted.after,
                   fitted_on={"model": str(args.source), "pseudo_unseen_classes": list(unseen_names),
                              "clips": len(unseen.x), "seen_temperature": old, "seed": args.seed,
                              "score": summary["score"]})
    metrics["unseen_temperature"] = {str(size): t for size, t in fitted.temperatures.items()}
    metrics["unseen_calibration"] = summary["fitted_on"]

    def temperature_for(size):
        return model_temperature(metrics, size)

    seen_mask = np.arange(len(names)) < num_seen  # SECOND's own training classes, whatever their names
    bias = None
    try:
        seen_scores, seen_truth = _seen_validation_scores(source, arrays, text, weights, names)
        bias = fit_seen_bias(np.concatenate([seen_scores, scores]), np.concatenate([seen_truth, truth]), seen_mask,
                             temperature_for, sizes, args.seed, fitted_on={"model": str(args.source),
                                                                           "score": summary["score"]})
    except (KeyError, ValueError) as error:  # no pretrain split recorded, or no seen validation clips
        summary["seen_bias"] = {"not_fitted": str(error)}
    else:
        summary["seen_bias"] = metrics[SEEN_BIAS_KEY] = bias.to_dict()
    summary["unsure_below"] = metrics[UNSURE_KEY] = fit_unsure_below(scores, truth, temperature_for, sizes,
                                                                     args.seed, seen_mask, bias)
    try:
        fusion = fit_fusion(draw_episodes(features, scores[:, num_seen:], unseen.labels, temperature_for,
                                          seed=args.seed))
    except ValueError as error:  # too few held-out clips: the model keeps the weights it has
        fusion, summary["example_fusion"] = None, {"not_fitted": str(error)}
    else:
        summary["example_fusion"] = metrics[EXAMPLE_FUSION_KEY] = {
            **fusion.weights.to_dict(), "nll": fusion.nll, "top1": fusion.top1, "episodes": fusion.episodes,
            "queries": fusion.rows}
    update_metrics(args.model, metrics)
    if args.json:
        print(json.dumps(summary, default=float))
        return 0
    print(f"{len(unseen.x)} clips of {len(unseen_names)} classes {args.source} never trained on; "
          f"stored in {Path(args.model) / METADATA_FILE}")
    _print_summary(summary, sizes, old, fusion)
    return 0


def _seen_validation_scores(source, arrays, text, weights, names: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Final scores (N, L) and classes (N,) of the source model's seen-class validation clips, the rows `smie
    eval` takes for GZSL: clips neither its encoder nor its head trained on."""
    # pulls in torch: imported on use so `smie --help` stays fast
    from core.benchmark.attribute_pairs import model_attribute_terms
    from core.training.train_head import extract_features, score
    from core.training.training_data import stratified_holdout

    meta = source.metadata
    pretrain = meta.hyperparameters["pretrain"]
    seen = arrays.restrict_classes(list(meta.seen_classes))
    _, rows = stratified_holdout(seen.labels, pretrain["validation_fraction"], pretrain["seed"])
    if not len(rows):
        raise ValueError(f"{len(seen.labels)} seen clips leave no validation clips")
    seen = seen.subset(rows)
    scores = score(source.head, extract_features(source.encoder, seen.x), text)
    if weights is not None:
        scores = scores + model_attribute_terms(meta, weights, names, seen)
    return scores, seen.labels


def _print_summary(summary: dict, sizes: list[int], old: float, fusion) -> None:
    if "attributes" in summary:
        weights = summary["attributes"]["weights"]["weights"]
        print("attribute weights: " + ", ".join(f"{k} {v:.3f}" for k, v in weights.items()))
        for group, figures in summary["attributes"]["fit"].items():
            print(f"  {group}: {figures['episodes']} episodes, top-1 {100 * figures['top1_before']:.1f}% -> "
                  f"{100 * figures['top1_after']:.1f}%")
    print(f"calibrated score: {summary['score']}")
    for size in sizes:
        before, after = summary["before"][size], summary["after"][size]
        print(f"  {size:3d} labels: temperature {summary['temperatures'][size]:.3f} (was {old:.3f})  "
              f"ECE {before['ece']:.3f} -> {after['ece']:.3f}  NLL {before['nll']:.2f} -> {after['nll']:.2f}")
    bias = summary["seen_bias"]
    if "not_fitted" in bias:
        print(f"seen-label bias not fitted: {bias['not_fitted']}")
    else:
        fit = bias["fitted_on"]
        print(f"seen-label bias {bias['bias']:.2f} x temperature ({fit['seen_clips']} seen validation and "
              f"{fit['unseen_clips']} held-out clips): mean GZSL H {100 * fit['mean_harmonic_before']:.1f}% -> "
              f"{100 * fit['mean_harmonic_after']:.1f}%"
              + ("  (at the end of the grid)" if fit["at_grid_edge"] else ""))
        for size, figures in fit["lists"].items():
            b, a = figures["before"], figures["after"]
            print(f"  {size:>3} labels: seen {100 * b['seen']:.1f}% -> {100 * a['seen']:.1f}%  unseen "
                  f"{100 * b['unseen']:.1f}% -> {100 * a['unseen']:.1f}%  H {100 * b['harmonic']:.1f}% -> "
                  f"{100 * a['harmonic']:.1f}%")
    unsure = summary["unsure_below"]
    if unsure["threshold"] is None:
        print(f"unsure threshold: none reaches the rule ({unsure['rule']}); top-1 {100 * unsure['top1']:.1f}%")
    else:
        default = unsure["at_default"]
        print(f"unsure below {unsure['threshold']:.2f} ({unsure['rule']}): {100 * unsure['answered']:.1f}% of "
              f"{unsure['episodes']} list episodes answered, right {100 * unsure['accuracy_answered']:.1f}% "
              f"(unsure ones {100 * unsure['accuracy_unsure']:.1f}%); at 0.5: {100 * default['answered']:.1f}% "
              f"answered, right {100 * default['accuracy_answered']:.1f}%")
        loose = unsure["average_precision_rule"]
        if loose["threshold"] is not None:
            print(f"  (answers above a threshold right half the time on average: {loose['threshold']:.2f}, "
                  f"{100 * loose['answered']:.1f}% answered, right {100 * loose['accuracy_answered']:.1f}%)")
    if fusion is None:
        print(f"weight of examples not fitted: {summary['example_fusion']['not_fitted']}")
        return
    weights = fusion.weights
    print(f"examples against text ({fusion.episodes} few-shot episodes, {fusion.rows} queries): scale "
          f"{weights.scale:g}, offset {weights.offset:g}, half weight at {weights.half_weight_at:g} examples, "
          f"text replaced {weights.text_drop:g}; "
          f"NLL {fusion.nll['text']:.2f} -> {fusion.nll['fused']:.2f}")
    for shots, top1 in sorted(fusion.top1.items()):
        print(f"  true label with {shots} example(s): top-1 {100 * top1['text']:.1f} % by name -> "
              f"{100 * top1['fused']:.1f} % with examples ({top1['queries']} queries)")


def _fit_attributes(args, source, unseen, unseen_names: list[str]):
    """(weights, the clips' global windows, report) of the attribute term fitted on the source model's held-out
    classes."""
    # pulls in torch: imported on use so `smie --help` stays fast
    from core.benchmark.attribute_pairs import ClipScorer, clip_windows, fit_on_pseudo_unseen, preprocess_of

    meta = source.metadata
    text_encoder = TextEncoder(meta.text_model)

    def embedder(names):
        return label_text(text_encoder, list(names), meta.text_use_descriptions, tuple(meta.text_templates))

    raw = clip_windows(unseen, preprocess_of(meta))
    weights, report = fit_on_pseudo_unseen(ClipScorer(source.encoder, source.head, embedder), unseen.x,
                                           raw, unseen.labels, list(unseen_names), {"model": str(args.source)})
    return weights, raw, {"weights": weights.to_dict(), "fit": report}
