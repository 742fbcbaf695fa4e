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
                      pseudo_labels: np.ndarray, before_temperature: float, seed: int) -> dict:
    """{"before", "after"} calibration_summary of the unseen final scores (N, L) at the seen-class temperature
    and at the one fitted on the pseudo-unseen final scores (lists of L labels drawn from them), with both
    temperatures."""
    size = unseen_scores.shape[1]
    fitted = fit_unseen_temperatures(pseudo_scores, pseudo_labels, pseudo_scores.shape[1], before_temperature,
                                     sizes=(size,), seed=seed)
    after_temperature = fitted.temperatures[size]
    return {"before": calibration_summary(unseen_scores, unseen_labels, before_temperature),
            "after": calibration_summary(unseen_scores, unseen_labels, after_temperature),
            "pseudo_unseen_list_size": int(min(size, pseudo_scores.shape[1]))}
