"""Scorer worker: window -> normalise -> encode -> score every label, on its own thread, labels editable while it runs."""

import json
import logging
import queue
import threading
import time
from dataclasses import asdict, dataclass, field

import numpy as np

from core.live.ring_buffer import Window
from core.model.example_term import evidence
from core.readers.labels import LabelSpec
from core.skeleton.motion import keyframes, motion_attention
from core.skeleton.preprocess import PreprocessConfig, normalize_sequence

log = logging.getLogger(__name__)

STATES = ("ok", "unsure", "no person", "still", "no labels")
SCORED_STATES = ("ok", "unsure")  # the window was scored: `top` and `scores` are filled
# With probabilities calibrated on labels the model never saw, a top answer under one half is more likely wrong
# than right: below it a result says "unsure" and names its best candidates instead of one answer. Models
# calibrated by smie calibrate carry their own threshold, chosen on classes a second model never saw.
UNSURE_BELOW = 0.5


@dataclass
class ScorerConfig:
    window_seconds: float = 2.0  # history each result looks at (NTU clips are 1-4 s)
    stride_seconds: float = 0.2  # a new result this often
    temperature: float = 1.0  # multiplies the model's fitted softmax temperature: >1 flatter, <1 sharper
    top_k: int = 5  # labels listed in `top`
    smoothing: float = 0.0  # weight of the previous probabilities in an exponential average (0: none)
    min_coverage: float = 0.6  # fewer resampled frames with a body than this: "no person"
    min_motion: float = 0.01  # metres: 90th-percentile joint spread over the window below this: "still"
    num_keyframes: int = 15  # keyframes reported with each result (SMIE: 15 of 50)
    unsure_below: float | None = None  # (smoothed) top probability under this: state "unsure" (0: never; None:
    # the threshold `smie calibrate` chose for the model, UNSURE_BELOW for models without one)
    attributes: bool = True  # add the model's attribute term (side, direction, rotation ...) where labels name one
    torch_threads: int = 1  # torch intra-op threads once the worker starts (0: leave torch's setting): pose
    # estimation runs on the same cores, and a second torch thread mostly waits for it


@dataclass
class LiveResult:
    """One scoring of one window. `top` is best first: [{"label", "prob", "score", "evidence"}], evidence saying
    what decided that label: "text" (its name), "examples" (its recorded examples) or "both"; `scores` maps every
    label to its raw score (empty unless the window was scored: state "ok" or "unsure"); `attention` has one
    value per window frame; `attributes` says what the skeleton showed ({"side": "right", "direction": "left"},
    core.skeleton.attributes.describe_measured), filled whenever the window was scored."""

    timestamp: float  # source time of the newest frame in the window
    state: str
    top: list[dict] = field(default_factory=list)
    scores: dict[str, float] = field(default_factory=dict)
    attention: list[float] = field(default_factory=list)
    keyframes: list[int] = field(default_factory=list)
    coverage: float = 0.0
    longest_gap: float = 0.0  # seconds without a body in the window
    motion: float = 0.0  # metres, see ScorerConfig.min_motion
    bodies: int = 0  # body slots holding a person in at least half of the window's frames (0, 1 or 2)
    attributes: dict[str, str] = field(default_factory=dict)
    labels: list[str] = field(default_factory=list)
    labels_version: int = -1
    preprocess_ms: float = 0.0
    encode_ms: float = 0.0
    score_ms: float = 0.0
    e2e_ms: float = 0.0  # emission time minus the capture time of the newest frame in the window

    def to_dict(self) -> dict:
        return asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict())


@dataclass
class ErrorEvent:
    """A fault the live pipeline reports and survives (or, with fatal=True, stops on)."""

    where: str  # "capture", "scorer" or "labels"
    message: str
    fatal: bool = False
    retry_in_s: float | None = None  # the capture thread tries again after this many seconds

    def to_json(self) -> str:
        return json.dumps({"error": asdict(self)})


def softmax(scores: np.ndarray, temperature: float) -> np.ndarray:
    z = scores / max(temperature, 1e-6)
    z = np.exp(z - z.max())
    return z / z.sum()


def motion_level(x: np.ndarray) -> float:
    """Normalised window (3, T, V, M) -> metres: the 90th percentile over joints of the first body's spread
    (std over time). One moving hand counts as motion; pose-estimation jitter of a still person does not."""
    body = x[..., 0]  # (3, T, V)
    spread = np.linalg.norm(body.std(axis=1), axis=0)  # (V,)
    return float(np.quantile(spread, 0.9))


def threshold_in_use(config: ScorerConfig, recognizer=None) -> float:
    """config.unsure_below, or when None the recognizer's model's threshold (smie calibrate), else UNSURE_BELOW."""
    if config.unsure_below is not None:
        return float(config.unsure_below)
    chosen = getattr(recognizer, "unsure_below", None)
    return UNSURE_BELOW if chosen is None else float(chosen)


def to_label_specs(labels) -> list:
    """Names or LabelSpecs -> LabelSpecs (a plain string is a name without description)."""
    return [label if isinstance(label, LabelSpec) else LabelSpec(str(label)) for label in labels]


class LiveScorer:
    """Scores windows on a worker thread. Feed it with submit(); results go to `on_result` and/or `results`.

    Label edits: set_labels() embeds in the caller's thread and then swaps the LabelSet in one assignment;
    request_labels() does the same on a small background thread (the newest request wins). The scoring path
    only reads the current LabelSet reference, so an edit never blocks or tears a scoring.
    """

    def __init__(self, recognizer, labels=(), config: ScorerConfig = ScorerConfig(), on_result=None,
                 on_error=None, results: queue.Queue | None = None, examples=()):
        self.recognizer = recognizer
        self.config = config
        self.preprocess_config = getattr(recognizer, "preprocess_config", None) or PreprocessConfig()
        self.on_result = on_result
        self.on_error = on_error
        self.results = results
        self.skipped_windows = 0  # windows replaced before the worker took them (it could not keep up)
        self._label_lock = threading.Lock()  # serialises embedding so versions are swapped in order
        self._label_set = None
        self._examples: list = []  # the ExampleClips given last
        self._smoothed: np.ndarray | None = None
        self._smoothed_version = None
        self._cond = threading.Condition()
        self._pending: Window | None = None
        self._stopping = False
        self._draining = False
        self._worker: threading.Thread | None = None
        self._label_request = None
        self._label_event = threading.Event()
        self._labeler: threading.Thread | None = None
        self.set_labels(labels, examples)

    # ---- labels ----
    @property
    def label_set(self):
        return self._label_set

    def set_labels(self, labels, examples=None):
        """Embed `labels` (names or LabelSpecs) here, then make them the set every later result uses.
        examples: core.live.example_features.ExampleClip list for those labels (None: keep the ones given
        last); their features are computed here too, so labels and examples change together."""
        specs = to_label_specs(labels)
        with self._label_lock:
            if examples is not None:
                self._examples = list(examples)
            label_set = self.recognizer.set_labels(specs, self._examples)
            self._label_set = label_set  # one reference assignment: atomic for the scoring thread
        return label_set

    def request_labels(self, labels, examples=None):
        """Like set_labels() but returns at once; a background thread embeds, and only the newest request counts."""
        self._label_request = (list(labels), None if examples is None else list(examples))
        self._label_event.set()
        if self._labeler is None or not self._labeler.is_alive():
            self._labeler = threading.Thread(target=self._run_labeler, name="smie-labels", daemon=True)
            self._labeler.start()

    def _run_labeler(self):
        while not self._stopping:
            if not self._label_event.wait(0.1):
                continue
            self._label_event.clear()
            request, self._label_request = self._label_request, None
            if request is None:
                continue
            try:
                self.set_labels(*request)
            except Exception as error:  # a bad label must not kill the thread; the old set stays in use
                self._report(ErrorEvent("labels", f"labels not changed: {error}"))

    @property
    def unsure_below(self) -> float:
        """The threshold in use: the configured one, else the model's, else UNSURE_BELOW."""
        return threshold_in_use(self.config, self.recognizer)

    # ---- scoring ----
    def score_window(self, window: Window) -> LiveResult:
        """Score one window with the current LabelSet (read once, so labels and version always agree)."""
        label_set = self._label_set
        names = list(label_set.names)
        result = LiveResult(timestamp=window.newest_timestamp, state="no person", coverage=window.coverage,
                            longest_gap=window.longest_gap, labels=names, labels_version=label_set.version,
                            bodies=int((window.body_present.mean(axis=0) >= 0.5).sum()))
        # normalize_sequence keeps the frames with a first body and needs two of them.
        if window.coverage >= self.config.min_coverage and window.body_present[:, 0].sum() >= 2:
            start = time.perf_counter()
            x = normalize_sequence(window.joints, window.valid, self.preprocess_config, source="live window")
            result.attention = [float(a) for a in motion_attention(x)]
            result.keyframes = [int(k) for k in keyframes(x, self.config.num_keyframes)]
            result.motion = motion_level(x)
            result.preprocess_ms = 1e3 * (time.perf_counter() - start)
            result.state = ("no labels" if not names else
                            "still" if result.motion < self.config.min_motion else "ok")
            if result.state == "ok":
                self._score(x, label_set, result, window)
        if result.state not in SCORED_STATES:
            self._smoothed = None
        result.e2e_ms = 1e3 * (time.monotonic() - window.newest_captured_at)
        return result

    def _score(self, x: np.ndarray, label_set, result: LiveResult, window: Window):
        start = time.perf_counter()
        features = self.recognizer.encode(x[None])
        encoded = time.perf_counter()
        attribute_term, result.attributes = self.recognizer.attribute_parts(label_set, window.joints, window.valid, x,
                                                                            enabled=self.config.attributes)
        text, term = self.recognizer.score_parts(features, label_set,
                                                 None if attribute_term is None else attribute_term[None])
        calibrated = self.recognizer.temperature_for(len(label_set.names))
        text = np.asarray(_to_numpy(text)[0], np.float64)
        scores = text if term is None else text + calibrated * term[0]
        result.encode_ms = 1e3 * (encoded - start)
        result.score_ms = 1e3 * (time.perf_counter() - encoded)
        probs = softmax(scores, self.config.temperature * calibrated)
        if self.config.smoothing > 0 and self._smoothed_version == label_set.version and self._smoothed is not None:
            probs = self.config.smoothing * self._smoothed + (1 - self.config.smoothing) * probs
        self._smoothed, self._smoothed_version = probs, label_set.version
        order = np.argsort(-probs)[:self.config.top_k]
        kinds = (["text"] * len(scores) if term is None else
                 evidence(text, term[0], label_set.examples.num_examples, calibrated))
        result.top = [{"label": result.labels[i], "prob": float(probs[i]), "score": float(scores[i]),
                       "evidence": kinds[i]} for i in order]
        result.scores = {name: float(score) for name, score in zip(result.labels, scores)}
        if result.top and result.top[0]["prob"] < self.unsure_below:
            result.state = "unsure"

    # ---- worker thread ----
    def start(self):
        assert self._worker is None, "LiveScorer.start() called twice"
        if self.config.torch_threads:
            # torch imported on use: importing this module stays light
            import torch

            torch.set_num_threads(self.config.torch_threads)  # process-wide: the scorer is torch's only user here
        self._worker = threading.Thread(target=self._run, name="smie-scorer", daemon=True)
        self._worker.start()

    def submit(self, window: Window, block: bool = False):
        """Hand the worker a window. block=False: it replaces a window still waiting (newest wins);
        block=True: wait until the worker took the previous one (every window is scored)."""
        with self._cond:
            while block and self._pending is not None and not self._stopping:
                self._cond.wait(0.1)
            if self._pending is not None:
                self.skipped_windows += 1
            self._pending = window
            self._cond.notify_all()

    def finish(self):
        """Let the worker score what is waiting, then end (the source has ended)."""
        with self._cond:
            self._draining = True
            self._cond.notify_all()

    def stop(self, timeout: float = 1.0) -> bool:
        """Stop now, dropping a waiting window; True when the worker threads ended within `timeout`."""
        with self._cond:
            self._stopping = True
            self._pending = None
            self._cond.notify_all()
        self._label_event.set()
        return self.join(timeout)

    def join(self, timeout: float | None = None) -> bool:
        deadline = None if timeout is None else time.monotonic() + timeout
        for worker in (self._worker, self._labeler):
            if worker is not None:
                worker.join(None if deadline is None else max(deadline - time.monotonic(), 0.0))
        return not any(w is not None and w.is_alive() for w in (self._worker, self._labeler))

    def _run(self):
        # torch imported on use: importing this module stays light
        import torch

        with torch.no_grad():  # grad mode is per thread, so the worker sets its own
            while True:
                with self._cond:
                    while self._pending is None and not (self._stopping or self._draining):
                        self._cond.wait()
                    if self._stopping or self._pending is None:
                        return
                    window, self._pending = self._pending, None
                    self._cond.notify_all()
                try:
                    self._deliver(self.score_window(window))
                except Exception as error:  # reported; the next window is scored as usual
                    log.exception("scoring failed")
                    self._report(ErrorEvent("scorer", f"{type(error).__name__}: {error}"))

    def _deliver(self, item):
        if isinstance(item, LiveResult) and self.on_result is not None:
            self.on_result(item)
        if self.results is not None:
            try:
                self.results.put_nowait(item)
            except queue.Full:  # a slow consumer loses the oldest result, never blocks the worker
                try:
                    self.results.get_nowait()
                except queue.Empty:
                    pass
                self.results.put_nowait(item)

    def _report(self, event: ErrorEvent):
        log.warning("%s: %s", event.where, event.message)
        if self.on_error is not None:
            self.on_error(event)
        if self.results is not None:
            self._deliver(event)


def _to_numpy(value):
    return value.detach().cpu().numpy() if hasattr(value, "detach") else np.asarray(value)
