"""`smie pretrain`, `smie train`, `smie eval`: encoder on seen classes, a zero-shot head, zero-shot evaluation."""

import json
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np

from core.benchmark.confusion_image import write_confusion_png
from core.commands import odd_kernel_frames, unit_fraction
from core.metrics import (
    confusion_matrix,
    fit_temperature,
    gzsl_metrics,
    model_temperature,
    tune_gamma_on_seen,
    zsl_metrics,
)
from core.model.text import DEFAULT_TEMPLATES, PROMPT_TEMPLATES, TextEncoder
from core.skeleton.preprocess import PreprocessConfig
from core.training.class_text import class_text as seen_class_text
from core.training.class_text import label_text
from core.training.training_data import stratified_holdout


def add_parser(subparsers) -> None:
    pre = subparsers.add_parser(
        "pretrain", help="pretrain the ST-GCN encoder on the seen classes",
        description="Pretrain the ST-GCN skeleton encoder as a classifier of the seen classes of one or more "
                    "datasets; the unseen classes of --protocol or --holdout are left out. The epoch with the best "
                    "seen-class validation accuracy is kept. Next step: smie train --encoder OUT.")
    pre.add_argument("--datasets", default="all",
                     help="comma-separated dataset names, 'all', or your own NTU-style arrays as "
                          "arrays:PRESET:DATA.npy:LABELS (PRESET: ntu60, ntu120, pku_mmd, ...)")
    pre.add_argument("--protocol", default=None,
                     help="built-in split whose unseen classes are held out: utd_mhad:ru5|ru9|ru13, "
                          "ntu60:synse:55/5|48/12, ntu120:synse:110/10|96/24, ntu60|ntu120|pku_mmd:optimized:0|1|2")
    pre.add_argument("--holdout", default=None, help="comma-separated class names held out as unseen")
    pre.add_argument("--holdout-draw", type=unit_fraction, default=None, metavar="FRACTION",
                     help="hold out this share of the classes, drawn with --seed, and every class that covers one "
                          "(assets/labels/pooled_classes.tsv): the second model `smie calibrate --from` reads")
    pre.add_argument("--epochs", type=int, default=None, help="training epochs (default 40)")
    pre.add_argument("--seed", type=int, default=0,
                     help="seed of the validation split, initialisation and augmentation (default 0)")
    pre.add_argument("--mirror", action="store_true",
                     help="left/right-mirror half of the clips of classes whose names name no side")
    pre.add_argument("--legs-unseen-prob", type=unit_fraction, default=0.0, metavar="P",
                     help="share of training clips shown without legs, as a webcam framed on the upper body "
                          "sees them (0-1, default 0)")
    pre.add_argument("--balance", default="", choices=["", "classes", "datasets"],
                     help="draw each epoch's clips so that every class, or every dataset, gets the same share "
                          "(default: every clip once an epoch)")
    pre.add_argument("--temporal-kernel", type=odd_kernel_frames, default=None,
                     help="frames per temporal convolution (default 9, the official ST-GCN's; 3 or 5 encode faster)")
    pre.add_argument("--input-stream", default="joint", choices=["joint", "bone", "motion"],
                     help="what the encoder reads: joint positions, bones (joint minus parent) or motion (frame "
                          "differences); the model applies it itself wherever it runs (default joint)")
    pre.add_argument("--batch-size", type=int, default=None, metavar="N",
                     help="global batch size (default 64); under torchrun each of the W processes takes N/W")
    pre.add_argument("--device", default="", help="torch device (default: cuda when present, else cpu; under "
                                                  "torchrun each process takes the GPU of its local rank)")
    pre.add_argument("--out", type=Path, required=True, help="folder for encoder.safetensors + encoder.json")
    pre.set_defaults(run=run_pretrain)

    train = subparsers.add_parser(
        "train", help="train SMIE or a baseline head on frozen encoder features",
        description="Train a zero-shot head that matches the encoder's features of the seen classes with the "
                    "sentence embeddings of their names (or descriptions), and save encoder and head as one model "
                    "folder that smie run, smie eval and smie-live load.")
    train.add_argument("--encoder", type=Path, required=True, help="a `smie pretrain` output folder")
    train.add_argument("--method", default="smie", choices=["smie", "smie_no_temporal", "devise", "relationnet", "revise"],
                       help="the head: SMIE (mutual-information estimator, with or without its temporal term) or "
                            "the DeViSE, RelationNet or ReViSE baseline (default smie)")
    train.add_argument("--descriptions", action="store_true", help="embed class names with their descriptions")
    train.add_argument("--mixed-text", action="store_true",
                       help="train on names alone and on names with descriptions, so typed labels without a "
                            "description are read as well as described ones (implies --descriptions)")
    train.add_argument("--epochs", type=int, default=None, help="head training epochs (default 100)")
    train.add_argument("--seed", type=int, default=0, help="seed of initialisation and batches (default 0)")
    train.add_argument("--balance", default="", choices=["", "classes"],
                       help="each epoch draws the clips so every seen class gets the same share (default: every "
                            "clip once an epoch)")
    train.add_argument("--negatives", default="roll", choices=["roll", "all"],
                       help="SMIE negatives: the next clip in the batch (roll, official) or every other-class pair")
    train.add_argument("--prompt-ensemble", action="store_true",
                       help="embed every label as the mean over prompt templates ('a person {label}', ...); the "
                            "model keeps them, so live labels are embedded the same way")
    train.add_argument("--finetune-blocks", type=int, default=0,
                       help="after the head, train it together with the encoder's last N blocks on the SMIE "
                            "objective (default 0: the encoder stays frozen)")
    train.add_argument("--finetune-epochs", type=int, default=None, help="epochs of that fine-tuning (default 10)")
    train.add_argument("--batch-size", type=int, default=None, metavar="N",
                       help="global batch size of head training (default 128); under torchrun each of the W "
                            "processes takes N/W")
    train.add_argument("--device", default="", help="torch device (default: cuda when present, else cpu; under "
                                                    "torchrun each process takes the GPU of its local rank)")
    train.add_argument("--out", type=Path, required=True, help="model folder (weights.safetensors + model.json)")
    train.set_defaults(run=run_train)

    evaluate = subparsers.add_parser(
        "eval", help="zero-shot (ZSL) and generalised (GZSL) accuracy of a model",
        description="Score a trained model on the clips of its unseen classes (zero-shot top-1 and top-5) and on "
                    "seen and unseen together (generalised: seen, unseen and harmonic mean), from the datasets and "
                    "split saved in the model folder.")
    evaluate.add_argument("--model", type=Path, required=True, help="a `smie train` output folder")
    evaluate.add_argument("--json", action="store_true", help="print one JSON object")
    evaluate.add_argument("--no-attributes", action="store_true",
                          help="score without the model's attribute term (side, direction, order; `smie calibrate "
                               "--attributes` stores it), as models made before it score")
    evaluate.add_argument("--confusion", metavar="PNG", type=Path, default=None,
                          help="write the zero-shot confusion matrix over the unseen classes here")
    evaluate.add_argument("--reliability", metavar="PNG", type=Path, default=None,
                          help="write the reliability diagram of the zero-shot probabilities here")
    evaluate.set_defaults(run=run_eval)


def _distributed_or_not(args, body, command: str) -> int:
    """body(args, None) in one process, or body(args, rank) on every rank when torchrun started this one."""
    # pulls in torch: imported on use so `smie --help` stays fast
    from core.training.distributed import launched_by_torchrun, run_on_ranks

    if launched_by_torchrun():
        return run_on_ranks(args.device, lambda ddp: body(args, ddp), command)
    return body(args, None)


def _ranks_summary(ddp, batch_size: int) -> tuple[str, dict]:
    """(the sentence the command prints, what the metadata records) about a torchrun job; every rank calls it."""
    from core.training.distributed import peak_memory

    peaks = ddp.all_gather(peak_memory(ddp.device))
    text = ", ".join(f"rank {rank} {peak['rss_bytes'] / 2**30:.2f} GiB" if peak["rss_bytes"] else f"rank {rank} ?"
                     for rank, peak in enumerate(peaks))
    if any("cuda_bytes" in peak for peak in peaks):
        text += " (GPU: " + ", ".join(f"{peak.get('cuda_bytes', 0) / 2**30:.2f}" for peak in peaks) + " GiB)"
    sentence = (f"{ddp.world_size} processes ({ddp.backend}), global batch {batch_size} "
                f"({batch_size // ddp.world_size} per rank); peak memory per rank (resident): {text}")
    return sentence, {"world_size": ddp.world_size, "backend": ddp.backend, "global_batch": batch_size,
                      "peak_memory": peaks}


def run_pretrain(args) -> int:
    return _distributed_or_not(args, _pretrain, "smie pretrain")


def _pretrain(args, ddp) -> int:
    # pulls in torch: imported on use so `smie --help` stays fast
    from core.model.stgcn import STGCNConfig
    from core.training.distributed import divide_batch
    from core.training.experiment import choose_split, load_pooled, parse_datasets, save_encoder
    from core.training.pretrain import PretrainConfig, pretrain_encoder

    datasets = parse_datasets(args.datasets)
    config = PretrainConfig(seed=args.seed, mirror=args.mirror, device=args.device,
                            legs_unseen_prob=args.legs_unseen_prob, balance=args.balance,
                            **({"epochs": args.epochs} if args.epochs else {}),
                            **({"batch_size": args.batch_size} if args.batch_size else {}))
    if ddp is not None:  # refused before any data is read, the same way on every rank
        divide_batch(config.batch_size, ddp.world_size)
        arrays = ddp.main_first(lambda: load_pooled(datasets), "reading the datasets (rank 0 builds the caches)")
    else:
        arrays = load_pooled(datasets)
    split = choose_split(arrays, args.protocol, args.holdout, args.holdout_draw, args.seed)
    seen_names = split.seen_names if split else list(arrays.class_names)
    seen = arrays.restrict_classes(seen_names)
    train_rows, val_rows = stratified_holdout(seen.labels, config.validation_fraction, args.seed)
    started = time.perf_counter()
    encoder_config = STGCNConfig(input_stream=args.input_stream,
                                 **({"temporal_kernel": args.temporal_kernel} if args.temporal_kernel else {}))
    train, val = seen.subset(train_rows), seen.subset(val_rows)  # memory-mapped clips stay on disk until read
    encoder, history = pretrain_encoder(train.x, train.labels, val.x, val.labels, len(seen_names), config,
                                        encoder_config, class_names=seen_names, checkpoint_dir=args.out,
                                        distributed=ddp, train_datasets=train.datasets)
    seconds = time.perf_counter() - started
    ranks_text, ranks = _ranks_summary(ddp, config.batch_size) if ddp is not None else ("", None)
    if ddp is not None and not ddp.is_main:
        return 0  # rank 0 writes the encoder and reports
    best = max(history, key=lambda r: r["val_acc"])
    save_encoder(args.out, encoder, {
        "datasets": datasets, "seen_classes": seen_names, "unseen_classes": split.unseen_names if split else [],
        "split": split.name if split else None, "pretrain_config": config.__dict__, "history": history,
        "seconds": seconds, "best_val_acc": best["val_acc"], "clips": int(len(seen.x)),
        **({"distributed": ranks} if ranks else {})})
    print(f"encoder saved to {args.out}: best seen-class validation accuracy {best['val_acc']:.3f} "
          f"(epoch {best['epoch']}), {seconds / 60:.1f} min" + (f"; {ranks_text}" if ranks_text else ""))
    return 0


def run_train(args) -> int:
    return _distributed_or_not(args, _train, "smie train")


def _train(args, ddp) -> int:
    # pulls in torch: imported on use so `smie --help` stays fast
    from core.model.checkpoint import ModelMetadata, save_model
    from core.training.distributed import divide_batch
    from core.training.experiment import load_encoder, load_pooled
    from core.training.train_head import (
        HeadTrainConfig,
        extract_features,
        score,
        train_head,
    )

    if ddp is not None and args.finetune_blocks:
        raise ValueError("--finetune-blocks runs in one process: train the head under torchrun, then fine-tune "
                         "without torchrun, or leave --finetune-blocks out")
    config = HeadTrainConfig(method=args.method, seed=args.seed, device=args.device, balance=args.balance,
                             **({"epochs": args.epochs} if args.epochs else {}),
                             **({"batch_size": args.batch_size} if args.batch_size else {}))
    if ddp is not None:
        divide_batch(config.batch_size, ddp.world_size)
        with ddp.agreed(f"loading the encoder from {args.encoder}"):
            encoder, meta = load_encoder(args.encoder)
    else:
        encoder, meta = load_encoder(args.encoder)
    can_finetune = args.method.startswith("smie") and 1 <= args.finetune_blocks <= len(encoder.blocks)
    if args.finetune_blocks and not can_finetune:
        print(f"--finetune-blocks {args.finetune_blocks}: fine-tuning needs an SMIE method (got {args.method}) and "
              f"1 to {len(encoder.blocks)} blocks")
        return 2
    if ddp is not None:
        arrays = ddp.main_first(lambda: load_pooled(meta["datasets"]), "reading the datasets (rank 0 builds the "
                                "caches)").restrict_classes(meta["seen_classes"])
    else:
        arrays = load_pooled(meta["datasets"]).restrict_classes(meta["seen_classes"])
    text_encoder = TextEncoder()
    started = time.perf_counter()
    if ddp is not None:  # each rank encodes its block of the clips on its own device
        encoder.to(ddp.device)
    features = extract_features(encoder, arrays.x, distributed=ddp)
    masked = extract_features(encoder, arrays.x, mask_keyframes="zero", distributed=ddp)
    encoder.cpu()
    use_descriptions = args.descriptions or args.mixed_text
    mode = "mixed" if args.mixed_text else "descriptions" if args.descriptions else "names"
    templates = PROMPT_TEMPLATES if args.prompt_ensemble else DEFAULT_TEMPLATES
    if ddp is not None:  # rank 0 fills the embedding cache, the others read it
        class_text = ddp.main_first(lambda: seen_class_text(text_encoder, meta["seen_classes"], mode, templates),
                                    "embedding the class names")
    else:
        class_text = seen_class_text(text_encoder, meta["seen_classes"], mode, templates)
    # The seen-class validation clips the encoder never trained on stay out of the head too: the softmax
    # temperature is fitted on them, so live probabilities are calibrated on clips neither part has seen.
    pretrain = meta["pretrain_config"]
    train_rows, val_rows = stratified_holdout(arrays.labels, pretrain["validation_fraction"], pretrain["seed"])
    head_config = None
    if args.method.startswith("smie"):
        # pulls in torch: imported on use so `smie --help` stays fast
        from core.model.smie import SMIEConfig

        head_config = SMIEConfig(visual_dim=features.shape[1], text_dim=class_text.shape[-1], negatives=args.negatives)
    head, history = train_head(features[train_rows], masked[train_rows], arrays.labels[train_rows], class_text,
                               config, head_config, distributed=ddp)
    ranks_text, ranks = _ranks_summary(ddp, config.batch_size) if ddp is not None else ("", None)
    if ddp is not None and not ddp.is_main:
        return 0  # rank 0 fits the temperature, writes the model and reports
    finetune_config = None
    if args.finetune_blocks:
        # pulls in torch: imported on use so `smie --help` stays fast
        from core.training.finetune import FinetuneConfig, finetune

        finetune_config = FinetuneConfig(blocks=args.finetune_blocks, seed=args.seed, device=args.device,
                                         **({"epochs": args.finetune_epochs} if args.finetune_epochs else {}))
        encoder, head, finetune_history = finetune(encoder, head, arrays.x[train_rows], arrays.labels[train_rows],
                                                   class_text, finetune_config)
        history = history + finetune_history
        features = extract_features(encoder, arrays.x)  # the validation clips through the fine-tuned encoder
    described = class_text[-1] if class_text.ndim == 3 else class_text  # how live labels are embedded
    val_scores = score(head, features[val_rows], described)
    temperature = fit_temperature(val_scores, arrays.labels[val_rows])
    seen_val_top1 = float((val_scores.argmax(axis=1) == arrays.labels[val_rows]).mean())
    seconds = time.perf_counter() - started
    metadata = ModelMetadata(
        text_model=text_encoder.name, text_dim=text_encoder.dim, preprocess=asdict(PreprocessConfig()),
        seen_classes=meta["seen_classes"], text_templates=list(templates),
        text_use_descriptions=use_descriptions,
        hyperparameters={"pretrain": meta["pretrain_config"], "head": asdict(config), "mixed_text": args.mixed_text,
                         "negatives": args.negatives,
                         "finetune": asdict(finetune_config) if finetune_config else None},
        metrics={"pretrain_best_val_acc": meta["best_val_acc"], "unseen_classes": meta["unseen_classes"],
                 "split": meta["split"], "datasets": meta["datasets"], "head_seconds": seconds,
                 "pretrain_seconds": meta["seconds"], "final_loss": history[-1], "temperature": temperature,
                 "seen_val_top1": seen_val_top1, "seen_val_clips": int(len(val_rows)),
                 **({"distributed": ranks} if ranks else {})})
    save_model(args.out, encoder, head, metadata)
    print(f"model saved to {args.out} ({seconds:.0f} s head training; seen-class validation top-1 "
          f"{100 * seen_val_top1:.1f}% over {len(val_rows)} clips, temperature {temperature:.3f})"
          + (f"; {ranks_text}" if ranks_text else ""))
    return 0


def run_eval(args) -> int:
    # pulls in torch: imported on use so `smie --help` stays fast
    from core.benchmark.attribute_pairs import model_attribute_terms
    from core.clips.clip_eval import calibration_summary
    from core.commands.eval_clips import calibration_text, write_reliability
    from core.live.scorer import ScorerConfig
    from core.model.attribute_term import load_attribute_weights
    from core.model.checkpoint import load_model
    from core.model.seen_bias import load_seen_bias
    from core.training.experiment import load_pooled
    from core.training.train_head import extract_features, score

    model = load_model(args.model)
    meta = model.metadata
    unseen_names = meta.metrics.get("unseen_classes") or []
    if not unseen_names:
        print(f"{args.model} was trained on all classes: no unseen classes to evaluate on")
        return 2
    arrays = load_pooled(meta.metrics["datasets"])
    text = label_text(TextEncoder(meta.text_model), list(meta.seen_classes) + unseen_names,
                      meta.text_use_descriptions, tuple(meta.text_templates))
    num_seen = len(meta.seen_classes)
    unseen = arrays.restrict_classes(unseen_names)
    unseen_scores = score(model.head, extract_features(model.encoder, unseen.x), text[num_seen:])
    result = {"zsl": zsl_metrics(unseen_scores, unseen.labels)}
    if not args.no_attributes:  # the model's attribute term (none in models calibrated without it); GZSL stays without
        from core.benchmark.attribute_pairs import eval_attributes

        unseen_scores, result["attributes"] = eval_attributes(model, unseen, unseen_names, unseen_scores)
        if result["attributes"]:
            result["zsl"] = {k: result["attributes"][k] for k in ("top1", "top5", "n")}
    # The live app's probabilities: its temperature factor times the fitted one for this many labels (as
    # Recognizer.temperature_for).
    temperature = ScorerConfig().temperature * model_temperature(meta.metrics, len(unseen_names))
    result["calibration"] = calibration_summary(unseen_scores, unseen.labels, temperature)
    if args.confusion:
        matrix = confusion_matrix(unseen_scores.argmax(axis=1), unseen.labels, len(unseen_names))
        top1 = 100 * result["zsl"]["top1"]
        write_confusion_png(args.confusion, matrix, unseen_names,
                            f"{args.model.name}: zero-shot on {meta.metrics.get('split')}, top-1 {top1:.1f}%")
    # GZSL: seen test clips are the seen-class validation rows the encoder never trained on.
    seen = arrays.restrict_classes(list(meta.seen_classes))
    _, val_rows = stratified_holdout(seen.labels, meta.hyperparameters["pretrain"]["validation_fraction"],
                                     meta.hyperparameters["pretrain"]["seed"])
    seen_scores = score(model.head, extract_features(model.encoder, seen.x[val_rows]), text)
    seen_mask = np.arange(len(text)) < num_seen
    gamma = tune_gamma_on_seen(seen_scores, seen.labels[val_rows], seen_mask)
    all_scores = np.concatenate([seen_scores, score(model.head, extract_features(model.encoder, unseen.x), text)])
    all_labels = np.concatenate([seen.labels[val_rows], unseen.labels + num_seen])
    result["gzsl"] = gzsl_metrics(all_scores, all_labels, seen_mask, gamma)
    seen_bias = load_seen_bias(meta)
    if seen_bias is not None:  # the correction smie calibrate fitted on a second model, on the final score
        weights = None if args.no_attributes else load_attribute_weights(meta)
        names = list(meta.seen_classes) + unseen_names
        if weights is not None:
            all_scores = all_scores + np.concatenate([model_attribute_terms(meta, weights, names, part)
                                                      for part in (seen.subset(val_rows), unseen)])
        bias_temperature = model_temperature(meta.metrics, len(names))
        result["gzsl_seen_bias"] = {
            **gzsl_metrics(all_scores, all_labels, seen_mask, seen_bias.bias * bias_temperature),
            "bias": seen_bias.bias, "temperature": bias_temperature,
            "score": "SMIE + attribute term" if weights is not None else "SMIE",
            "uncorrected": gzsl_metrics(all_scores, all_labels, seen_mask, 0.0)}
    if args.json:
        print(json.dumps(result))
    else:
        z, g = result["zsl"], result["gzsl"]
        print(f"ZSL  top-1 {100 * z['top1']:.1f}%  top-5 {100 * z['top5']:.1f}%  ({z['n']} clips, {len(unseen_names)} classes)")
        print(f"GZSL seen {100 * g['seen']:.1f}%  unseen {100 * g['unseen']:.1f}%  H {100 * g['harmonic']:.1f}%  (gamma {g['gamma']:.3f})")
        if "gzsl_seen_bias" in result:
            b, u = result["gzsl_seen_bias"], result["gzsl_seen_bias"]["uncorrected"]
            print(f"GZSL seen {100 * b['seen']:.1f}%  unseen {100 * b['unseen']:.1f}%  H {100 * b['harmonic']:.1f}%  "
                  f"(stored seen bias {b['bias']:.2f} x temperature {b['temperature']:.3f}, {b['score']}; "
                  f"uncorrected H {100 * u['harmonic']:.1f}%)")
        print(f"ZSL calibration: {calibration_text(result['calibration'])}")
        if result.get("attributes"):
            from core.benchmark.attribute_pairs import attribute_summary_text

            print(attribute_summary_text(result["attributes"]))
    if args.reliability:  # after the results, so a bad path loses none of them
        title = (f"{args.model.name}: zero-shot on {meta.metrics.get('split')}, "
                 f"top-1 {100 * result['zsl']['top1']:.1f}%")
        return write_reliability(args.reliability, unseen_scores, unseen.labels, temperature, title, "smie eval")
    return 0
