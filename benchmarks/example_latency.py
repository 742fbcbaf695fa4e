"""Time from a finished example to the first live result that uses it: the example saved to the library, read
back, its windows encoded and swapped in with the labels, and the next window scored, while a recording of a
person replays at its recorded pace. One JSON object; median and worst over --repeat examples.

    python benchmarks/example_latency.py [--model models/default] [--labels 60] [--repeat 5]"""

import argparse
import json
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout without installing

from core.clips.example_library import ExampleLibrary  # noqa: E402
from core.live.engine import EngineConfig, LiveEngine  # noqa: E402
from core.live.recognizer import Recognizer  # noqa: E402
from core.live.scorer import LiveScorer  # noqa: E402
from core.live.sources.replay import ReplaySource, save_recording  # noqa: E402
from core.paths import DEFAULT_MODEL_DIR  # noqa: E402
from core.readers.label_presets import load_preset  # noqa: E402


def waving_recording(path: Path, seconds: float) -> Path:
    """A person standing and waving the right hand (NTU axes), as a recording to replay."""
    fps, frames = 30.0, int(seconds * 30)
    rng = np.random.default_rng(0)
    pose = np.zeros((25, 3), np.float32)
    pose[:, 1] = np.linspace(-0.9, 0.7, 25)
    pose[:, 2] = 3.0
    pose[[4, 5, 6, 7], 0], pose[[8, 9, 10, 11], 0] = -0.2, 0.2
    joints = np.repeat(pose[None, None], frames, axis=0)
    joints[:, 0, 9:12, 1] += 0.3 + 0.25 * np.sin(2 * np.pi * 2 * np.arange(frames) / fps)[:, None]
    joints += rng.normal(0, 0.004, joints.shape).astype(np.float32)
    return save_recording(path, joints, np.ones((frames, 1, 25), bool), np.arange(frames) / fps, fps=fps)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=str(DEFAULT_MODEL_DIR))
    parser.add_argument("--labels", type=int, default=60, help="labels of the NTU-120 preset in the list")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    recognizer = Recognizer.load(args.model, "cpu")
    labels = load_preset("ntu120")[:args.labels]
    latencies = []
    with tempfile.TemporaryDirectory(prefix="smie-example-latency-") as scratch:
        scratch = Path(scratch)
        source = ReplaySource(waving_recording(scratch / "wave.npz", 4.0 + 3.0 * args.repeat), realtime=True)
        library = ExampleLibrary(scratch / "examples")
        arrived = threading.Condition()
        results = []

        def on_result(result):
            with arrived:
                results.append((time.monotonic(), result.labels_version, result.state))
                arrived.notify_all()

        scorer = LiveScorer(recognizer, labels, on_result=on_result)
        with LiveEngine(source, scorer, EngineConfig(realtime=True)) as engine:
            time.sleep(3.0)  # a full window and a warm scorer
            for number in range(args.repeat):
                joints, valid, timestamps, _, _ = engine.buffer.snapshot(2.0)
                started = time.monotonic()  # the example is complete: "use the last 2 s" clicked
                library.add(labels[number].name, joints, valid, timestamps)
                scorer.request_labels(labels, library.load([label.name for label in labels]).examples)

                def first_using_it(expected=number + 1):
                    current = scorer.label_set
                    if sum(current.example_counts().values()) != expected:
                        return None
                    return next((t for t, version, _ in results if t > started and version == current.version), None)

                with arrived:
                    arrived.wait_for(lambda: first_using_it() is not None, timeout=10.0)
                first = first_using_it()
                if first is None:
                    print(f"example {number + 1}: no result used it within 10 s", file=sys.stderr)
                    return 1
                latencies.append(1e3 * (first - started))
                time.sleep(1.0)
    print(json.dumps({"labels": len(labels), "examples_added": args.repeat, "latency_ms": latencies,
                      "median_ms": float(np.median(latencies)), "worst_ms": float(np.max(latencies)),
                      "load_average": os.getloadavg(), "model": args.model}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
