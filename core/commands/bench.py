"""`smie bench-encoder` and `smie bench-scorer`: inference speed of the ST-GCN encoder and the SMIE head."""

import contextlib
import json
import os
import statistics
import time

from core.commands import odd_kernel_frames
from core.paths import DEFAULT_MODEL_DIR

# The live path first; the others are the steps before it, for before/after tables.
ENCODER_VARIANTS = ("fused", "fused-unpacked", "reference-skip", "reference")
SCORER_VARIANTS = ("prepared", "split", "concat")


def add_parser(subparsers):
    encoder = subparsers.add_parser("bench-encoder", help="time the ST-GCN encoder on random windows",
                                    description="Time the encoder forward pass on random input of the live shape "
                                                "(batch, 3, 50, 25, 2); the second body is zero with --bodies 1.")
    encoder.add_argument("--batch", type=int, default=1, help="windows per call (default 1)")
    encoder.add_argument("--bodies", type=int, choices=(1, 2), default=1, help="bodies present (default 1)")
    encoder.add_argument("--variant", choices=ENCODER_VARIANTS, default="fused",
                         help="fused: BN-folded channels-last inference copy with prepacked oneDNN weights (the "
                              "live path); fused-unpacked: the same without prepacking; reference-skip: training "
                              "module skipping absent bodies; reference: training module, every body "
                              "(default fused)")
    encoder.add_argument("--temporal-kernel", type=odd_kernel_frames, default=None,
                         help="frames per temporal convolution (default: the default model's)")
    _common_arguments(encoder)
    encoder.set_defaults(run=_run_encoder)
    scorer = subparsers.add_parser("bench-scorer", help="time the SMIE head over N labels",
                                   description="Time the SMIE head scoring one window's feature against N labels.")
    scorer.add_argument("--labels", type=int, default=120, help="number of labels (default 120)")
    scorer.add_argument("--batch", type=int, default=1, help="windows per call (default 1)")
    scorer.add_argument("--variant", choices=SCORER_VARIANTS, default="prepared",
                        help="prepared: label part precomputed once (the live path); split: score() with the label "
                             "part each call; concat: the MLP on every concatenated pair (default prepared)")
    _common_arguments(scorer)
    scorer.set_defaults(run=_run_scorer)


def _common_arguments(parser):
    parser.add_argument("--threads", type=int, default=0, help="torch intra-op threads (default: torch's choice)")
    parser.add_argument("--repeats", type=int, default=0, help="timed calls (default: about 3 s worth)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def time_calls(fn, repeats: int = 0, warmup: int = 3, budget_s: float = 3.0) -> tuple[list[float], list[float]]:
    """Wall and CPU milliseconds of repeated fn() calls; with repeats=0, as many as fit in about budget_s."""
    for _ in range(warmup):
        fn()
    if not repeats:
        started = time.perf_counter()
        fn()
        repeats = int(min(500, max(5, budget_s / max(time.perf_counter() - started, 1e-6))))
    wall, cpu = [], []
    for _ in range(repeats):
        started, started_cpu = time.perf_counter(), time.process_time()
        fn()
        wall.append((time.perf_counter() - started) * 1e3)
        cpu.append((time.process_time() - started_cpu) * 1e3)
    return wall, cpu


def summarize(wall: list[float], cpu: list[float], batch: int, **details) -> dict:
    """Per-window percentiles and throughput from per-call times."""
    ordered = sorted(wall)
    p50 = statistics.median(ordered)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {"ms_per_window": {"p50": round(p50 / batch, 3), "p95": round(p95 / batch, 3)},
            "windows_per_s": round(batch * 1e3 / p50, 1),
            "cpu_ms_per_window": round(statistics.median(cpu) / batch, 3),
            "batch": batch, "repeats": len(wall), "load_average_1min": round(os.getloadavg()[0], 2), **details}


def random_windows(batch: int, bodies: int, seed: int = 0):
    """(batch, 3, 50, 25, 2) float32 windows; the second body is all zero when bodies == 1."""
    # torch imported on use: importing this module stays light
    import torch

    generator = torch.Generator().manual_seed(seed)
    x = torch.randn(batch, 3, 50, 25, 2, generator=generator)
    if bodies == 1:
        x[..., 1] = 0
    return x


def default_temporal_kernel() -> int:
    """The temporal kernel of the model the app loads (the encoder's default when none is installed)."""
    # pulls in torch: imported on use so `smie --help` stays fast
    from core.model.stgcn import STGCNConfig

    try:
        config = json.loads((DEFAULT_MODEL_DIR / "model.json").read_text())["encoder_config"]
        return int(config.get("temporal_kernel", STGCNConfig.temporal_kernel))
    except (OSError, KeyError, ValueError):
        return STGCNConfig.temporal_kernel


def encoder_callable(variant: str, seed: int = 0, temporal_kernel: int | None = None):
    """A function of the windows for the variant, built from a randomly initialised (same-speed) encoder."""
    # torch imported on use: importing this module stays light
    import torch

    # pulls in torch: imported on use so `smie --help` stays fast
    from core.model.stgcn import STGCN, STGCNConfig
    from core.model.stgcn_fused import fuse_for_inference

    torch.manual_seed(seed)
    model = STGCN(STGCNConfig(temporal_kernel=temporal_kernel or default_temporal_kernel())).eval()
    if variant.startswith("fused"):
        return fuse_for_inference(model, pack=variant == "fused")
    return lambda x: model.forward_features(x, skip_absent_bodies=variant == "reference-skip")


def bench_encoder(batch: int = 1, bodies: int = 1, variant: str = "fused", threads: int = 0,
                  repeats: int = 0, temporal_kernel: int | None = None) -> dict:
    # torch imported on use: importing this module stays light
    import torch

    assert variant in ENCODER_VARIANTS, f"unknown encoder variant {variant!r}; known: {ENCODER_VARIANTS}"
    temporal_kernel = temporal_kernel or default_temporal_kernel()
    encode, x = encoder_callable(variant, temporal_kernel=temporal_kernel), random_windows(batch, bodies)
    with torch.inference_mode(), _threads(threads) as used:
        wall, cpu = time_calls(lambda: encode(x), repeats)
    return summarize(wall, cpu, batch, bodies=bodies, variant=variant, threads=used, temporal_kernel=temporal_kernel)


def scorer_callable(variant: str, num_labels: int, batch: int = 1, seed: int = 0):
    """A no-argument function scoring `batch` random features against `num_labels` random label embeddings."""
    # torch imported on use: importing this module stays light
    import torch

    # pulls in torch: imported on use so `smie --help` stays fast
    from core.model.smie import SMIEConfig, SMIEHead

    torch.manual_seed(seed)
    head = SMIEHead(SMIEConfig()).eval().requires_grad_(False)
    v, s = torch.randn(batch, head.config.visual_dim), torch.randn(num_labels, head.config.text_dim)
    if variant == "prepared":
        prepared = head.prepare_labels(s)
        return lambda: head.score_prepared(v, prepared)
    if variant == "split":
        return lambda: head.score(v, s)
    assert variant == "concat", f"unknown scorer variant {variant!r}; known: {SCORER_VARIANTS}"
    pairs_v, pairs_s = v.repeat_interleave(num_labels, dim=0), s.repeat(batch, 1)
    return lambda: -torch.nn.functional.softplus(-head.pair_estimates(pairs_v, pairs_s)).view(batch, num_labels)


def bench_scorer(num_labels: int = 120, batch: int = 1, variant: str = "prepared", threads: int = 0,
                 repeats: int = 0) -> dict:
    # torch imported on use: importing this module stays light
    import torch

    score = scorer_callable(variant, num_labels, batch)
    with torch.inference_mode(), _threads(threads) as used:
        wall, cpu = time_calls(score, repeats)
    return summarize(wall, cpu, batch, labels=num_labels, variant=variant, threads=used)


@contextlib.contextmanager
def _threads(count: int):
    """torch intra-op threads set to count (0: unchanged) inside the block; yields the count in use."""
    # torch imported on use: importing this module stays light
    import torch

    before = torch.get_num_threads()
    if count:
        torch.set_num_threads(count)
    try:
        yield torch.get_num_threads()
    finally:
        torch.set_num_threads(before)


def _print(result: dict, as_json: bool, what: str) -> int:
    if as_json:
        print(json.dumps(result))
    else:
        print(f"{what}: {result['ms_per_window']['p50']:.3f} ms per window (p50), "
              f"{result['ms_per_window']['p95']:.3f} ms (p95), {result['windows_per_s']:.1f} windows/s, "
              f"{result['threads']} threads, load average {result['load_average_1min']}")
    return 0


def _run_encoder(args) -> int:
    assert args.batch >= 1, f"--batch must be at least 1, got {args.batch}"
    result = bench_encoder(args.batch, args.bodies, args.variant, args.threads, args.repeats, args.temporal_kernel)
    bodies = "1 body" if args.bodies == 1 else f"{args.bodies} bodies"
    return _print(result, args.json, f"encoder ({args.variant}, batch {args.batch}, {bodies}, temporal kernel "
                                     f"{result['temporal_kernel']})")


def _run_scorer(args) -> int:
    assert args.labels >= 1 and args.batch >= 1, "--labels and --batch must be at least 1"
    result = bench_scorer(args.labels, args.batch, args.variant, args.threads, args.repeats)
    return _print(result, args.json, f"SMIE head ({args.variant}, {args.labels} labels)")
