"""SMIE head: JSD mutual-information estimator T(v, s), its global and temporal losses, and fast label scoring."""

from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F

from core.skeleton.motion import mask_keyframes_torch

NEGATIVES = ("roll", "all")
TEMPORAL_MODES = ("paper", "official", "none")


@dataclass
class SMIEConfig:
    visual_dim: int = 256  # ST-GCN feature size
    text_dim: int = 384  # all-MiniLM-L6-v2 sentence embeddings (the paper: 768-d Sentence-BERT)
    hidden_dims: tuple[int, ...] = (1024, 512)  # estimator MLP widths, as in the paper
    margin: float = 0.1  # temporal hinge margin (paper: 0.1 NTU-60, 0.5 NTU-120, 0.01 PKU-MMD)
    temporal_weight: float = 0.5  # lambda of eq. 11, fixed in all of the paper's experiments
    negatives: str = "roll"  # "roll": v_{i+1} with s_i (official); "all": every other-class pair in the batch
    temporal: str = "paper"  # "paper": keyframes zeroed; "official": keyframes dropped, 20 of the rest; "none"
    keyframes: int = 15  # frames of highest motion attention removed for the temporal term (15 of 50)
    official_frames: int = 20  # frames the "official" temporal mode samples from the non-keyframes

    def __post_init__(self):
        self.hidden_dims = tuple(self.hidden_dims)
        assert self.negatives in NEGATIVES, f"negatives must be one of {NEGATIVES}, got {self.negatives!r}"
        assert self.temporal in TEMPORAL_MODES, f"temporal must be one of {TEMPORAL_MODES}, got {self.temporal!r}"


class SMIEHead(nn.Module):
    """T(v, s) = MLP([LayerNorm(v); s]); class score = -softplus(-T), the positive term of the JSD estimator."""

    def __init__(self, config: SMIEConfig):
        super().__init__()
        self.config = config
        widths = (config.visual_dim + config.text_dim, *config.hidden_dims, 1)
        self.layers = nn.ModuleList(nn.Linear(a, b) for a, b in zip(widths[:-1], widths[1:]))

    def normalize_visual(self, v: torch.Tensor) -> torch.Tensor:
        return F.layer_norm(v, (self.config.visual_dim,))  # eq. 1: no learnable affine

    def normalize_text(self, s: torch.Tensor) -> torch.Tensor:
        return F.normalize(s, dim=-1)

    def _first_layer_parts(self) -> tuple[torch.Tensor, torch.Tensor]:
        # Linear([v; s]) = W_v v + W_s s + b: the visual and text halves of the first weight.
        return self.layers[0].weight.split([self.config.visual_dim, self.config.text_dim], dim=1)

    def _rest(self, hidden: torch.Tensor) -> torch.Tensor:
        """First-layer pre-activations (..., H1), a fresh tensor that may be overwritten -> T (...)."""
        shape = hidden.shape[:-1]
        hidden = hidden.relu_().reshape(-1, hidden.shape[-1])
        for layer in self.layers[1:-1]:
            hidden = torch.addmm(layer.bias, hidden, layer.weight.t()).relu_()  # in place: no extra pass
        last = self.layers[-1]
        return torch.addmm(last.bias, hidden, last.weight.t()).view(shape)

    def pair_estimates(self, v: torch.Tensor, s: torch.Tensor) -> torch.Tensor:
        """T for aligned pairs: v (P, d_v) raw features, s (P, d_s) -> (P,)."""
        return self._rest(self.layers[0](torch.cat([self.normalize_visual(v), self.normalize_text(s)], dim=1)))

    def estimates(self, v: torch.Tensor, s: torch.Tensor) -> torch.Tensor:
        """T for every pair: v (N, d_v), s (L, d_s) -> (N, L), one broadcast add for the first layer."""
        return self.estimates_prepared(v, self.prepare_labels(s))

    def prepare_labels(self, s: torch.Tensor) -> torch.Tensor:
        """(L, d_s) label embeddings -> (L, H1): their first-layer part with the bias, computed once per label set."""
        assert s.dim() == 2 and s.shape[1] == self.config.text_dim, \
            f"expected (L, {self.config.text_dim}) label embeddings, got {tuple(s.shape)}"
        _, text_weight = self._first_layer_parts()
        return torch.addmm(self.layers[0].bias, self.normalize_text(s), text_weight.t())

    def estimates_prepared(self, v: torch.Tensor, prepared: torch.Tensor) -> torch.Tensor:
        assert v.dim() == 2 and v.shape[1] == self.config.visual_dim, \
            f"expected (N, {self.config.visual_dim}) visual features, got {tuple(v.shape)}"
        visual_weight, _ = self._first_layer_parts()
        visual = self.normalize_visual(v) @ visual_weight.t()  # (N, H1)
        return self._rest(torch.add(visual[:, None, :], prepared[None, :, :]))  # (N, L, H1) in one pass

    def score(self, v: torch.Tensor, s: torch.Tensor) -> torch.Tensor:
        """(N, d_v) raw visual features, (L, d_s) label embeddings -> (N, L) scores -softplus(-T); argmax predicts."""
        return -F.softplus(-self.estimates(v, s))

    def score_prepared(self, v: torch.Tensor, prepared: torch.Tensor) -> torch.Tensor:
        """Like score(), with labels from prepare_labels(); the live path calls this for every window."""
        return -F.softplus(-self.estimates_prepared(v, prepared))

    def loss(self, v: torch.Tensor, s_all_classes: torch.Tensor, labels: torch.Tensor,
             v_masked: torch.Tensor | None = None) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """The common head interface: each clip's text is s_all_classes[labels]; see smie_loss."""
        return smie_loss(self, v, v_masked, s_all_classes[labels], labels, self.config)


def jsd_mutual_information(pos_scores: torch.Tensor, neg_scores: torch.Tensor) -> torch.Tensor:
    """Jensen-Shannon MI lower bound from T on positive and negative pairs: E_pos[-sp(-T)] - E_neg[sp(T)].

    With no negative pairs (a one-class batch under negatives="all") the negative term is 0."""
    negative_term = F.softplus(neg_scores).mean() if neg_scores.numel() else neg_scores.new_zeros(())
    return -F.softplus(-pos_scores).mean() - negative_term


def negative_pairs(labels: torch.Tensor, negatives: str) -> tuple[torch.Tensor, torch.Tensor]:
    """Indices (visual j, text i) of negative pairs in a batch of size N.

    "roll": (i+1 mod N, i), as in the official code, same-class neighbours included;
    "all": every (j, i) whose classes differ, so no same-class pair is a false negative."""
    N = labels.shape[0]
    if negatives == "roll":
        text = torch.arange(N, device=labels.device)
        return (text + 1) % N, text
    assert negatives == "all", f"unknown negatives {negatives!r}"
    visual, text = torch.nonzero(labels[:, None] != labels[None, :], as_tuple=True)
    return visual, text


def negative_estimates(head: SMIEHead, v: torch.Tensor, s: torch.Tensor, labels: torch.Tensor,
                       negatives: str) -> torch.Tensor:
    """T on the negative pairs of negative_pairs(), as a flat tensor."""
    visual_index, text_index = negative_pairs(labels, negatives)
    if negatives == "all":  # ~N^2 pairs: one (N, N) estimate matrix shares the first layer's work
        return head.estimates(v, s)[visual_index, text_index]
    return head.pair_estimates(v[visual_index], s[text_index])


def smie_loss(head: SMIEHead, v: torch.Tensor, v_masked: torch.Tensor | None, s: torch.Tensor,
              labels: torch.Tensor, config: SMIEConfig) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """Eq. 11: -I_jsd + lambda * max(0, margin - (I_jsd - I_temp)).

    v, v_masked: (N, d_v) encoder features of the clips and of their keyframe-masked copies (None or
    temporal="none": no temporal term); s: (N, d_s) text of each clip's class; labels: (N,) class ids.
    I_temp uses positives (v~_i, s_i) and the same negative estimates as I_jsd."""
    assert v.shape[0] == s.shape[0] == labels.shape[0], "v, s and labels need one row per clip"
    assert v.shape[0] >= 2, "negatives need a batch of at least two clips"
    negative = negative_estimates(head, v, s, labels, config.negatives)
    mi = jsd_mutual_information(head.pair_estimates(v, s), negative)
    total = -mi
    parts = {"mi": mi.detach(), "loss_mi": (-mi).detach()}
    if config.temporal != "none" and v_masked is not None:
        mi_temporal = jsd_mutual_information(head.pair_estimates(v_masked, s), negative)
        loss_temporal = F.relu(config.margin - (mi - mi_temporal))
        total = total + config.temporal_weight * loss_temporal
        parts.update(mi_temporal=mi_temporal.detach(), loss_temporal=loss_temporal.detach())
    parts["total"] = total.detach()
    return total, parts


def mask_keyframes(x: torch.Tensor, config: SMIEConfig, generator: torch.Generator | None = None) -> torch.Tensor:
    """(N, C, T, V, M) -> the information-loss clips of eq. 9 for config.temporal (core.skeleton.motion does the work):
    "paper" zeroes the `keyframes` highest-attention frames; "official" drops them, keeps `official_frames` of
    the rest in temporal order and resizes those back to T, the length the encoder is trained on."""
    assert config.temporal in ("paper", "official"), f"no masking for temporal={config.temporal!r}"
    method = "zero" if config.temporal == "paper" else "drop"
    return mask_keyframes_torch(x, config.keyframes, method=method, num_keep=config.official_frames,
                                generator=generator)
