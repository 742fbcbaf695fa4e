"""Zero-shot baselines on the same frozen ST-GCN features: DeViSE, RelationNet, ReViSE; SMIEHead's interface."""

from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F

RELATION_LOSSES = ("mse", "bce")


@dataclass
class DeViSEConfig:
    visual_dim: int = 256  # ST-GCN feature size
    text_dim: int = 384  # sentence-embedding size
    margin: float = 0.1  # hinge rank margin (DeViSE, Frome et al. 2013)
    normalize_visual: bool = True  # LayerNorm without affine on v, as SMIE does, so both see the same input


class DeViSE(nn.Module):
    """Linear map of visual features into the text space; score = dot product with the label embedding."""

    def __init__(self, config: DeViSEConfig):
        super().__init__()
        self.config = config
        self.projection = nn.Linear(config.visual_dim, config.text_dim, bias=False)

    def embed_visual(self, v: torch.Tensor) -> torch.Tensor:
        """(N, d_v) -> (N, d_s)."""
        if self.config.normalize_visual:
            v = F.layer_norm(v, (self.config.visual_dim,))
        return self.projection(v)

    def prepare_labels(self, s: torch.Tensor) -> torch.Tensor:
        """(L, d_s) -> (L, d_s) unit-length label embeddings, reused for every window."""
        assert s.dim() == 2 and s.shape[1] == self.config.text_dim, \
            f"expected (L, {self.config.text_dim}) label embeddings, got {tuple(s.shape)}"
        return F.normalize(s, dim=-1)

    def score_prepared(self, v: torch.Tensor, prepared: torch.Tensor) -> torch.Tensor:
        return self.embed_visual(v) @ prepared.t()

    def score(self, v: torch.Tensor, s: torch.Tensor) -> torch.Tensor:
        """(N, d_v), (L, d_s) -> (N, L) similarities."""
        return self.score_prepared(v, self.prepare_labels(s))

    def loss(self, v: torch.Tensor, s_all_classes: torch.Tensor, labels: torch.Tensor,
             v_masked: torch.Tensor | None = None) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """Hinge rank loss: sum over wrong classes c of max(0, margin - score_true + score_c), batch mean.

        v_masked is accepted for a common training loop and ignored."""
        scores = self.score(v, s_all_classes)  # (N, L)
        true = scores.gather(1, labels[:, None])
        hinge = F.relu(self.config.margin - true + scores)
        hinge = hinge.masked_fill(F.one_hot(labels, scores.shape[1]).bool(), 0.0)
        total = hinge.sum(dim=1).mean()
        return total, {"total": total.detach()}


@dataclass
class RelationNetConfig:
    visual_dim: int = 256  # ST-GCN feature size
    text_dim: int = 384  # sentence-embedding size
    embed_dim: int = 256  # width of the visual and the text projection
    relation_hidden: int = 256  # hidden width of the relation module
    loss: str = "mse"  # "mse" to the one-hot class vector (Sung et al. 2018) or "bce" on the same targets
    normalize_visual: bool = True  # LayerNorm without affine on v, as SMIE does

    def __post_init__(self):
        assert self.loss in RELATION_LOSSES, f"loss must be one of {RELATION_LOSSES}, got {self.loss!r}"


class RelationNet(nn.Module):
    """Relation Network: relation = sigmoid(MLP([g_v(v); g_s(s)])) for every (clip, label) pair."""

    def __init__(self, config: RelationNetConfig):
        super().__init__()
        self.config = config
        self.visual = nn.Linear(config.visual_dim, config.embed_dim)
        self.text = nn.Linear(config.text_dim, config.embed_dim)
        self.relation_in = nn.Linear(2 * config.embed_dim, config.relation_hidden)
        self.relation_out = nn.Linear(config.relation_hidden, 1)

    def _relation_parts(self) -> tuple[torch.Tensor, torch.Tensor]:
        # relation_in([a; b]) = W_a a + W_b b + bias, so each side is projected once, not once per pair.
        return self.relation_in.weight.split([self.config.embed_dim, self.config.embed_dim], dim=1)

    def prepare_labels(self, s: torch.Tensor) -> torch.Tensor:
        """(L, d_s) -> (L, relation_hidden): the labels' part of the relation module's first layer."""
        assert s.dim() == 2 and s.shape[1] == self.config.text_dim, \
            f"expected (L, {self.config.text_dim}) label embeddings, got {tuple(s.shape)}"
        _, text_weight = self._relation_parts()
        return torch.addmm(self.relation_in.bias, F.relu(self.text(F.normalize(s, dim=-1))), text_weight.t())

    def logits_prepared(self, v: torch.Tensor, prepared: torch.Tensor) -> torch.Tensor:
        """(N, d_v), prepared labels -> (N, L) relation logits (before the sigmoid)."""
        if self.config.normalize_visual:
            v = F.layer_norm(v, (self.config.visual_dim,))
        visual_weight, _ = self._relation_parts()
        visual = F.relu(self.visual(v)) @ visual_weight.t()  # (N, H)
        hidden = F.relu(visual[:, None, :] + prepared[None, :, :])
        return self.relation_out(hidden).squeeze(-1)

    def score_prepared(self, v: torch.Tensor, prepared: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.logits_prepared(v, prepared))

    def score(self, v: torch.Tensor, s: torch.Tensor) -> torch.Tensor:
        """(N, d_v), (L, d_s) -> (N, L) relation scores in (0, 1)."""
        return self.score_prepared(v, self.prepare_labels(s))

    def loss(self, v: torch.Tensor, s_all_classes: torch.Tensor, labels: torch.Tensor,
             v_masked: torch.Tensor | None = None) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """Relation of every clip to every training class against the one-hot target (MSE or BCE).

        v_masked is accepted for a common training loop and ignored."""
        logits = self.logits_prepared(v, self.prepare_labels(s_all_classes))
        target = F.one_hot(labels, logits.shape[1]).to(logits.dtype)
        if self.config.loss == "mse":
            total = F.mse_loss(torch.sigmoid(logits), target)
        else:
            total = F.binary_cross_entropy_with_logits(logits, target)
        return total, {"total": total.detach()}


@dataclass
class ReViSEConfig:
    visual_dim: int = 256  # ST-GCN feature size
    text_dim: int = 384  # sentence-embedding size
    hidden_dim: int = 512  # autoencoder hidden width
    latent_dim: int = 128  # shared latent space of both autoencoders
    margin: float = 0.1  # hinge rank margin on latent similarities, as in DeViSE
    mmd_weight: float = 1.0  # weight of the MMD between visual and text latents of the batch
    reconstruction_weight: float = 1.0  # weight of both autoencoders' reconstruction errors
    bandwidths: tuple[float, ...] = (0.5, 1.0, 2.0, 4.0)  # Gaussian kernel widths of the MMD
    normalize_visual: bool = True  # LayerNorm without affine on v, as SMIE does

    def __post_init__(self):
        self.bandwidths = tuple(self.bandwidths)


def gaussian_mmd(x: torch.Tensor, y: torch.Tensor, bandwidths: tuple[float, ...]) -> torch.Tensor:
    """Biased squared MMD between samples x (n, d) and y (m, d), kernel sum_b exp(-|a - c|^2 / (2 b^2))."""
    def kernel(a, c):
        distance = torch.cdist(a, c).square()
        return sum(torch.exp(-distance / (2 * b * b)) for b in bandwidths)
    return kernel(x, x).mean() + kernel(y, y).mean() - 2 * kernel(x, y).mean()


class ReViSE(nn.Module):
    """ReViSE-style baseline: a visual and a text autoencoder whose latents are aligned by MMD and a hinge rank
    loss; score = dot product of unit-length latents (Tsai et al., ICCV 2017, in its simplest form)."""

    def __init__(self, config: ReViSEConfig):
        super().__init__()
        self.config = config

        def mlp(a, b):
            return nn.Sequential(nn.Linear(a, config.hidden_dim), nn.ReLU(), nn.Linear(config.hidden_dim, b))
        self.visual_encoder = mlp(config.visual_dim, config.latent_dim)
        self.visual_decoder = mlp(config.latent_dim, config.visual_dim)
        self.text_encoder = mlp(config.text_dim, config.latent_dim)
        self.text_decoder = mlp(config.latent_dim, config.text_dim)

    def _visual_input(self, v: torch.Tensor) -> torch.Tensor:
        return F.layer_norm(v, (self.config.visual_dim,)) if self.config.normalize_visual else v

    def prepare_labels(self, s: torch.Tensor) -> torch.Tensor:
        """(L, d_s) -> (L, latent_dim) unit-length text latents."""
        assert s.dim() == 2 and s.shape[1] == self.config.text_dim, \
            f"expected (L, {self.config.text_dim}) label embeddings, got {tuple(s.shape)}"
        return F.normalize(self.text_encoder(F.normalize(s, dim=-1)), dim=-1)

    def score_prepared(self, v: torch.Tensor, prepared: torch.Tensor) -> torch.Tensor:
        return F.normalize(self.visual_encoder(self._visual_input(v)), dim=-1) @ prepared.t()

    def score(self, v: torch.Tensor, s: torch.Tensor) -> torch.Tensor:
        """(N, d_v), (L, d_s) -> (N, L) cosine similarities of the latents."""
        return self.score_prepared(v, self.prepare_labels(s))

    def loss(self, v: torch.Tensor, s_all_classes: torch.Tensor, labels: torch.Tensor,
             v_masked: torch.Tensor | None = None) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """Reconstruction of both inputs + MMD(visual latents, their classes' text latents) + hinge rank loss.

        v_masked is accepted for a common training loop and ignored."""
        config = self.config
        visual_in, text_in = self._visual_input(v), F.normalize(s_all_classes, dim=-1)
        z_visual, z_text = self.visual_encoder(visual_in), self.text_encoder(text_in)
        reconstruction = (F.mse_loss(self.visual_decoder(z_visual), visual_in)
                          + F.mse_loss(self.text_decoder(z_text), text_in))
        mmd = gaussian_mmd(z_visual, z_text[labels], config.bandwidths)
        scores = F.normalize(z_visual, dim=-1) @ F.normalize(z_text, dim=-1).t()  # (N, L)
        hinge = F.relu(config.margin - scores.gather(1, labels[:, None]) + scores)
        rank = hinge.masked_fill(F.one_hot(labels, scores.shape[1]).bool(), 0.0).sum(dim=1).mean()
        total = config.reconstruction_weight * reconstruction + config.mmd_weight * mmd + rank
        return total, {"total": total.detach(), "reconstruction": reconstruction.detach(), "mmd": mmd.detach(),
                       "rank": rank.detach()}
