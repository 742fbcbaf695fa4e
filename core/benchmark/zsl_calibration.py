"""How well a zero-shot benchmark run's probabilities mean what they say, before and after calibrating on classes
the run never saw: the seen-class temperature (fitted on the seen classes' validation clips, as `smie train`
fits it) against the temperature fitted on the pseudo-unseen classes of the run's second encoder, for a list as
long as the split's unseen one (core.training.calibration), both applied to the unseen classes' final scores."""

import numpy as np

from core.clips.clip_eval import calibration_summary
from core.metrics import fit_temperature
from core.training.calibration import fit_unseen_temperatures
from core.training.training_data import stratified_holdout


def seen_temperature(scorer, arrays, split, seed: int, validation_fraction: float) -> float:
    """Temperature fitted on the seen classes' validation clips (held out of the encoder) against the seen names."""
    seen = arrays.restrict_classes(list(split.seen_names))
    _, rows = stratified_holdout(seen.labels, validation_fraction, seed)
    return fit_temperature(scorer(np.asarray(seen.x[rows]), list(split.seen_names)), seen.labels[rows])


def bench_calibration(unseen_scores: np.ndarray, unseen_labels: np.ndarray, pseudo_scores: np.ndarray,
                      pseudo_labels: np.ndarray, before_temperature: float, seed: int,
                      inner: dict | None = None) -> dict:
    """{"before", "after", "after_pseudo_unseen_lists"} calibration_summary of the unseen final scores (N, L) at
    the seen-class temperature and at two fitted ones, with the temperatures.

    "after": fitted as `smie calibrate` fits the shipped model's, on lists as long as the split's drawn around each
    pseudo-unseen clip from all the second model's classes (inner: gzsl_scores of the inner split, the
    pseudo-unseen clips' final scores against its seen and pseudo-unseen classes); "after_pseudo_unseen_lists":
    on lists of the pseudo-unseen names alone (pseudo_scores against them), which a split with few held-out
    classes keeps shorter than its own (a run without `inner` reports only this one, as "after")."""
    size = unseen_scores.shape[1]
    fitted = fit_unseen_temperatures(pseudo_scores, pseudo_labels, pseudo_scores.shape[1], before_temperature,
                                     sizes=(size,), seed=seed)
    short_lists = calibration_summary(unseen_scores, unseen_labels, fitted.temperatures[size])
    result = {"before": calibration_summary(unseen_scores, unseen_labels, before_temperature), "after": short_lists,
              "pseudo_unseen_list_size": int(min(size, pseudo_scores.shape[1]))}
    if inner is not None:
        rows = ~inner["seen_mask"][inner["truth"]]
        classes = len(inner["seen_mask"])
        long_size = min(size, classes)
        fitted = fit_unseen_temperatures(inner["scores"][rows], inner["truth"][rows], classes, before_temperature,
                                         sizes=(long_size,), seed=seed)
        result.update(after=calibration_summary(unseen_scores, unseen_labels, fitted.temperatures[long_size]),
                      after_pseudo_unseen_lists=short_lists, list_size=int(long_size))
    return result


def gzsl_before_after(outer: dict, inner: dict, seed: int) -> dict:
    """GZSL seen / unseen / harmonic mean of the run's model over all its classes, with today's seen-fitted
    stacking (gamma keeping 90 % of seen validation accuracy) and with a seen-label bias fitted on the second
    encoder's classes only (its seen validation clips and pseudo-unseen clips), in units of the temperature
    fitted there. outer / inner: {"scores" (N, C) final scores of seen validation then unseen clips against all C
    classes, "truth" (N,), "seen_mask" (C,)}."""
    # imported on use: the GZSL fitting is only needed here
    from core.metrics import gzsl_metrics, tune_gamma_on_seen
    from core.training.calibration import LIST_SIZES
    from core.training.seen_bias_fit import fit_seen_bias

    # the temperature of lists of pseudo-unseen labels (as bench_calibration), then the bias in its units
    seen_mask, truth = inner["seen_mask"], inner["truth"]
    unseen_rows, unseen_columns = ~seen_mask[truth], np.flatnonzero(~seen_mask)
    classes = len(unseen_columns)
    sizes = sorted({min(size, classes) for size in LIST_SIZES})
    fitted = fit_unseen_temperatures(inner["scores"][unseen_rows][:, unseen_columns],
                                     truth[unseen_rows] - int(seen_mask.sum()), classes, 1.0, sizes=sizes,
                                     seed=seed).temperatures

    def temperature_for(size):
        return fitted[min(sizes, key=lambda s: abs(s - min(size, classes)))]

    bias = fit_seen_bias(inner["scores"], inner["truth"], inner["seen_mask"], temperature_for, sizes, seed)
    seen_rows = outer["seen_mask"][outer["truth"]]
    gamma = tune_gamma_on_seen(outer["scores"][seen_rows], outer["truth"][seen_rows], outer["seen_mask"])
    corrected = bias.bias * temperature_for(len(outer["seen_mask"]))
    return {"before": gzsl_metrics(outer["scores"], outer["truth"], outer["seen_mask"], gamma),
            "uncorrected": gzsl_metrics(outer["scores"], outer["truth"], outer["seen_mask"], 0.0),
            "after": gzsl_metrics(outer["scores"], outer["truth"], outer["seen_mask"], corrected),
            "bias": bias.bias}


def gzsl_scores(scorer, terms, arrays, split, seed: int, validation_fraction: float) -> dict:
    """{"scores", "truth", "seen_mask"} of a split: its seen classes' validation clips and its unseen clips
    against all its classes (seen first), final scores (scorer: SMIE scores; terms(names, x, rows_of) the
    attribute term)."""
    names = list(split.seen_names) + list(split.unseen_names)
    seen = arrays.restrict_classes(list(split.seen_names))
    _, rows = stratified_holdout(seen.labels, validation_fraction, seed)
    unseen = arrays.restrict_classes(list(split.unseen_names))
    parts, truth = [], []
    for clips, labels in ((seen.subset(rows), seen.labels[rows]), (unseen, unseen.labels + len(split.seen_names))):
        x = np.asarray(clips.x)
        parts.append(scorer(x, names) + terms(names, x, clips))
        truth.append(labels)
    return {"scores": np.concatenate(parts), "truth": np.concatenate(truth),
            "seen_mask": np.arange(len(names)) < len(split.seen_names)}
