"""Scorer worker on a real (randomly initialised) ST-GCN + SMIE model: result fields, states, label edits, faults."""

import json
import queue
import random
import threading
import time

import numpy as np
import pytest

from core.commands.bench_pipeline import save_random_model
from core.live.recognizer import Recognizer
from core.live.ring_buffer import RingBuffer
from core.live.scorer import SCORED_STATES, LiveResult, LiveScorer, ScorerConfig, softmax
from core.skeleton.preprocess import normalize_sequence

FPS = 30.0
VOCABULARY = ["wave hand", "clap", "jump", "sit down", "stand up", "kick", "punch", "drink water", "bow",
              "point", "throw", "squat", "walk", "turn around", "nod head", "shake head", "salute", "hug",
              "cross arms", "stretch", "run in place", "hop on one foot", "touch head", "pick up", "put down"]


@pytest.fixture(scope="module")
def recognizer(tmp_path_factory):
    model_dir = save_random_model(tmp_path_factory.mktemp("model"))
    return Recognizer.load(model_dir, "cpu")


def standing_pose(seed: int = 0) -> np.ndarray:
    """(25, 3) a rough upright body in NTU axes (Y up, person facing the sensor at Z = 3 m)."""
    rng = np.random.default_rng(seed)
    pose = np.zeros((25, 3), np.float32)
    pose[:, 2] = 3.0
    heights = {0: 0.0, 1: 0.3, 20: 0.5, 2: 0.6, 3: 0.7, 12: -0.05, 16: -0.05, 13: -0.5, 17: -0.5, 14: -0.9,
               18: -0.9, 15: -0.95, 19: -0.95, 4: 0.5, 8: 0.5, 5: 0.25, 9: 0.25, 6: 0.0, 10: 0.0, 7: -0.05,
               11: -0.05, 21: -0.1, 23: -0.1, 22: -0.05, 24: -0.05}
    for joint, height in heights.items():
        pose[joint, 1] = height
    left = [4, 5, 6, 7, 12, 13, 14, 15, 21, 22]
    right = [8, 9, 10, 11, 16, 17, 18, 19, 23, 24]
    pose[left, 0], pose[right, 0] = -0.2, 0.2  # X to the sensor's left: the person's right has larger X
    return pose + rng.normal(0, 0.01, pose.shape).astype(np.float32)


def make_window(seconds=2.0, motion=0.3, present=1.0, seed=0, nan=False):
    """A window cut from a ring buffer filled with `seconds` of one body waving its right arm."""
    buffer = RingBuffer.for_duration(seconds + 1, FPS)
    pose = standing_pose(seed)
    num_frames = int(seconds * FPS) + 1
    for i in range(num_frames):
        joints = pose.copy()
        joints[[10, 11, 23, 24], 1] += motion * np.sin(2 * np.pi * i / FPS)  # right wrist and hand wave
        if nan:
            joints[0, 0] = np.nan
        visible = i < present * num_frames
        buffer.append(joints[None] if visible else np.zeros((0, 25, 3), np.float32),
                      np.ones((1 if visible else 0, 25), bool), timestamp=i / FPS, captured_at=time.monotonic())
    return buffer.window(seconds, 50)


def test_result_has_every_field_and_matches_the_model(recognizer):
    scorer = LiveScorer(recognizer, VOCABULARY[:8], ScorerConfig(top_k=3))
    window = make_window()
    result = scorer.score_window(window)
    assert result.state in SCORED_STATES
    assert result.labels == VOCABULARY[:8] and result.labels_version == scorer.label_set.version
    assert [item["label"] for item in result.top] == sorted(result.scores, key=result.scores.get, reverse=True)[:3]
    probs = softmax(np.array([result.scores[name] for name in result.labels]), 1.0)
    assert result.top[0]["prob"] == pytest.approx(probs.max(), rel=1e-6)
    assert len(result.attention) == 50 and sum(result.attention) == pytest.approx(1.0, abs=1e-4)
    assert len(result.keyframes) == 15 and result.keyframes == sorted(result.keyframes)
    assert result.coverage == 1.0 and result.e2e_ms > 0
    assert min(result.preprocess_ms, result.encode_ms, result.score_ms) > 0
    # Same numbers as training-time preprocessing followed by the recognizer itself.
    x = normalize_sequence(window.joints, window.valid, recognizer.preprocess_config)
    expected = recognizer.score(recognizer.encode(x[None]), scorer.label_set)[0]
    np.testing.assert_allclose([result.scores[name] for name in result.labels], expected, rtol=1e-5, atol=1e-6)
    decoded = json.loads(result.to_json())
    assert set(decoded) == set(LiveResult.__dataclass_fields__)


def test_states_replace_guesses(recognizer):
    scorer = LiveScorer(recognizer, VOCABULARY[:4])
    assert scorer.score_window(make_window(motion=0.0)).state == "still"
    empty = scorer.score_window(make_window(present=0.3))
    assert empty.state == "no person" and empty.top == [] and empty.scores == {}
    assert scorer.score_window(make_window(present=0.8)).state in SCORED_STATES
    scorer.set_labels([])
    assert scorer.score_window(make_window()).state == "no labels"


def test_temperature_and_smoothing(recognizer):
    sharp = LiveScorer(recognizer, VOCABULARY[:6], ScorerConfig(temperature=0.01)).score_window(make_window())
    flat = LiveScorer(recognizer, VOCABULARY[:6], ScorerConfig(temperature=100.0)).score_window(make_window())
    assert sharp.top[0]["prob"] > flat.top[0]["prob"]
    assert flat.top[0]["prob"] == pytest.approx(1 / 6, abs=0.01)

    smooth = LiveScorer(recognizer, VOCABULARY[:6], ScorerConfig(smoothing=0.9, top_k=6))
    plain = LiveScorer(recognizer, VOCABULARY[:6], ScorerConfig(top_k=6))
    first, second = make_window(seed=1), make_window(seed=2, motion=0.5)
    before = {item["label"]: item["prob"] for item in smooth.score_window(first).top}
    after = {item["label"]: item["prob"] for item in smooth.score_window(second).top}
    raw = {item["label"]: item["prob"] for item in plain.score_window(second).top}
    for name in VOCABULARY[:6]:
        assert after[name] == pytest.approx(0.9 * before[name] + 0.1 * raw[name], rel=1e-5)


def test_worker_delivers_through_callback_and_queue_and_survives_errors(recognizer):
    results, errors, delivered = queue.Queue(), [], []
    scorer = LiveScorer(recognizer, VOCABULARY[:5], on_result=delivered.append, on_error=errors.append,
                        results=results)
    scorer.start()
    good = make_window()
    scorer.submit(good, block=True)
    scorer.submit(make_window(nan=True), block=True)  # a broken source: NaN joints
    scorer.submit(good, block=True)
    scorer.finish()
    assert scorer.join(timeout=30)
    assert len(delivered) == 2 and all(r.state in SCORED_STATES for r in delivered)
    assert len(errors) == 1 and errors[0].where == "scorer" and "NaN" in errors[0].message
    items = [results.get_nowait() for _ in range(results.qsize())]
    assert sum(isinstance(item, LiveResult) for item in items) == 2 and len(items) == 3


def test_thousand_label_edits_while_scoring(recognizer):
    results, errors = [], []
    scorer = LiveScorer(recognizer, VOCABULARY[:3], on_result=results.append, on_error=errors.append)
    names_of_version = {scorer.label_set.version: list(scorer.label_set.names)}
    for name in VOCABULARY:  # warm the text cache so the edits measure swapping, not first embeddings
        label_set = scorer.set_labels([name])
        names_of_version[label_set.version] = list(label_set.names)
    windows = [make_window(seed=s) for s in range(3)]
    done = threading.Event()

    def feed():
        i = 0
        while not done.is_set():
            scorer.submit(windows[i % 3])
            i += 1
            time.sleep(0.002)

    scorer.start()
    feeder = threading.Thread(target=feed)
    feeder.start()
    rng = random.Random(0)
    try:
        for _ in range(1000):
            labels = rng.sample(VOCABULARY, rng.randint(0, 12))
            if rng.random() < 0.2:  # a rename: one label replaced by a new spelling
                labels = [name.upper() if j == 0 else name for j, name in enumerate(labels)]
            label_set = scorer.set_labels(labels)
            names_of_version[label_set.version] = list(label_set.names)
    finally:
        done.set()
        feeder.join()
        scorer.finish()
        assert scorer.join(timeout=30)
    assert not errors, errors[:3]
    assert len(results) >= 10, f"only {len(results)} results during the edits"
    assert len({result.labels_version for result in results}) >= 5, "results must span many label sets"
    for result in results:
        assert result.labels == names_of_version[result.labels_version]
        if result.state in SCORED_STATES:
            assert list(result.scores) == result.labels
            assert {item["label"] for item in result.top} <= set(result.labels)


def test_background_label_requests_end_with_the_newest(recognizer):
    scorer = LiveScorer(recognizer, ["clap"])
    for n in range(1, 6):
        scorer.request_labels(VOCABULARY[:n])
    deadline = time.monotonic() + 30
    while list(scorer.label_set.names) != VOCABULARY[:5] and time.monotonic() < deadline:
        time.sleep(0.01)
    assert list(scorer.label_set.names) == VOCABULARY[:5]
    assert scorer.stop(timeout=1.0)


def test_stop_joins_within_a_second_while_busy(recognizer):
    scorer = LiveScorer(recognizer, VOCABULARY)
    scorer.start()
    for seed in range(20):
        scorer.submit(make_window(seed=seed % 2))
    start = time.monotonic()
    assert scorer.stop(timeout=1.0)
    assert time.monotonic() - start < 1.0


def test_starting_the_worker_applies_its_torch_thread_count(recognizer):
    import torch

    before = torch.get_num_threads()
    scorer = LiveScorer(recognizer, VOCABULARY[:3], ScorerConfig(torch_threads=1))
    try:
        scorer.start()
        assert torch.get_num_threads() == 1
    finally:
        scorer.stop()
        torch.set_num_threads(before)


def test_a_top_probability_under_the_threshold_is_unsure_with_the_candidates_filled(recognizer):
    window = make_window()
    sure = LiveScorer(recognizer, VOCABULARY[:8], ScorerConfig(unsure_below=0.0)).score_window(window)
    top = sure.top[0]["prob"]
    assert sure.state == "ok" and 1 / 8 <= top < 1
    unsure = LiveScorer(recognizer, VOCABULARY[:8], ScorerConfig(unsure_below=top + 1e-6)).score_window(window)
    assert unsure.state == "unsure" and unsure.top == sure.top and unsure.scores == sure.scores
    at = LiveScorer(recognizer, VOCABULARY[:8], ScorerConfig(unsure_below=top - 1e-6)).score_window(window)
    assert at.state == "ok"


def test_smoothing_goes_on_through_unsure_results(recognizer):
    scorer = LiveScorer(recognizer, VOCABULARY[:4], ScorerConfig(smoothing=0.9, unsure_below=1.0))
    first = scorer.score_window(make_window(seed=1))
    second = scorer.score_window(make_window(seed=2))
    assert first.state == second.state == "unsure"
    plain = LiveScorer(recognizer, VOCABULARY[:4], ScorerConfig(unsure_below=1.0)).score_window(make_window(seed=2))
    before = {item["label"]: item["prob"] for item in first.top}  # top_k 5 >= 4 labels: every label is listed
    now = {item["label"]: item["prob"] for item in plain.top}
    for item in second.top:
        assert item["prob"] == pytest.approx(0.9 * before[item["label"]] + 0.1 * now[item["label"]])
