"""DeViSE, RelationNet and ReViSE heads: scores against formulas, label-order invariance, losses by hand, learning."""

import math

import pytest
import torch
import torch.nn.functional as F

from core.model.baselines import (
    DeViSE,
    DeViSEConfig,
    RelationNet,
    RelationNetConfig,
    ReViSE,
    ReViSEConfig,
    gaussian_mmd,
)


def _devise(seed: int = 0, **overrides) -> DeViSE:
    torch.manual_seed(seed)
    return DeViSE(DeViSEConfig(visual_dim=8, text_dim=6, **overrides)).double()


def _relation(seed: int = 0, **overrides) -> RelationNet:
    torch.manual_seed(seed)
    return RelationNet(RelationNetConfig(visual_dim=8, text_dim=6, embed_dim=5, relation_hidden=7,
                                             **overrides)).double()


def _revise(seed: int = 0, **overrides) -> ReViSE:
    torch.manual_seed(seed)
    return ReViSE(ReViSEConfig(visual_dim=8, text_dim=6, hidden_dim=10, latent_dim=4, **overrides)).double()


def test_devise_score_is_a_dot_product_in_text_space():
    head = _devise()
    v, s = torch.randn(3, 8, dtype=torch.float64), torch.randn(4, 6, dtype=torch.float64)
    expected = (head.projection.weight @ F.layer_norm(v, (8,)).t()).t() @ (s / s.norm(dim=1, keepdim=True)).t()
    torch.testing.assert_close(head.score(v, s), expected)


def test_devise_hinge_rank_loss_by_hand():
    head = _devise(margin=0.5)
    v, s = torch.randn(2, 8, dtype=torch.float64), torch.randn(3, 6, dtype=torch.float64)
    labels = torch.tensor([2, 0])
    scores = head.score(v, s).tolist()
    expected = sum(max(0.0, 0.5 - scores[n][labels[n]] + scores[n][c])
                   for n in range(2) for c in range(3) if c != labels[n]) / 2
    total, parts = head.loss(v, s, labels)
    assert math.isclose(float(total.detach()), expected, rel_tol=1e-9) and expected > 0
    assert math.isclose(float(parts["total"]), expected, rel_tol=1e-9)


def test_relationnet_score_equals_the_naive_pair_mlp():
    head = _relation()
    v, s = torch.randn(3, 8, dtype=torch.float64), torch.randn(4, 6, dtype=torch.float64)
    expected = torch.empty(3, 4, dtype=torch.float64)
    for n in range(3):
        for c in range(4):
            pair = torch.cat([torch.relu(head.visual(F.layer_norm(v[n], (8,)))),
                              torch.relu(head.text(s[c] / s[c].norm()))])
            expected[n, c] = torch.sigmoid(head.relation_out(torch.relu(head.relation_in(pair))))[0]
    torch.testing.assert_close(head.score(v, s), expected)


@pytest.mark.parametrize("make_head", [_devise, _relation, _revise])
def test_scores_do_not_depend_on_label_order(make_head):
    head = make_head()
    v, s = torch.randn(4, 8, dtype=torch.float64), torch.randn(6, 6, dtype=torch.float64)
    order = torch.randperm(6)
    torch.testing.assert_close(head.score(v, s[order]), head.score(v, s)[:, order])
    torch.testing.assert_close(head.score_prepared(v, head.prepare_labels(s)), head.score(v, s))


@pytest.mark.parametrize("loss", ["mse", "bce"])
def test_relationnet_losses_by_hand(loss):
    head = _relation(loss=loss)
    v, s = torch.randn(3, 8, dtype=torch.float64), torch.randn(4, 6, dtype=torch.float64)
    labels = torch.tensor([1, 3, 1])
    p = head.score(v, s).tolist()
    target = [[1.0 if c == labels[n] else 0.0 for c in range(4)] for n in range(3)]
    if loss == "mse":
        terms = [(p[n][c] - target[n][c]) ** 2 for n in range(3) for c in range(4)]
    else:
        terms = [-(target[n][c] * math.log(p[n][c]) + (1 - target[n][c]) * math.log(1 - p[n][c]))
                 for n in range(3) for c in range(4)]
    total, _ = head.loss(v, s, labels)
    assert math.isclose(float(total.detach()), sum(terms) / 12, rel_tol=1e-7)


def test_relationnet_rejects_an_unknown_loss():
    with pytest.raises(AssertionError, match="loss must be one of"):
        RelationNetConfig(loss="hinge")


@pytest.mark.parametrize("make_head", [_devise, _relation, _revise])
def test_heads_learn_separable_classes(make_head):
    """Sixty Adam steps on three well-separated clusters must classify them."""
    head = make_head().float()
    torch.manual_seed(1)
    centres, s = torch.randn(3, 8) * 3, torch.randn(3, 6)
    labels = torch.arange(3).repeat(20)
    v = centres[labels] + 0.3 * torch.randn(60, 8)
    optimizer = torch.optim.Adam(head.parameters(), lr=1e-2)
    for _ in range(60):
        total, _ = head.loss(v, s, labels)
        optimizer.zero_grad()
        total.backward()
        optimizer.step()
    with torch.no_grad():
        accuracy = (head.score(v, s).argmax(dim=1) == labels).float().mean()
    assert accuracy > 0.95, accuracy


def test_gaussian_mmd_by_hand():
    x, y = torch.tensor([[0.0], [1.0]]), torch.tensor([[3.0]])

    def k(a, b):
        return math.exp(-((a - b) ** 2) / 2)  # one bandwidth of 1
    expected = (k(0, 0) + k(0, 1) + k(1, 0) + k(1, 1)) / 4 + k(3, 3) - 2 * (k(0, 3) + k(1, 3)) / 2
    assert math.isclose(float(gaussian_mmd(x, y, (1.0,))), expected, rel_tol=1e-6)
    assert float(gaussian_mmd(x, x, (0.5, 2.0))) == pytest.approx(0.0, abs=1e-7)


def test_revise_loss_is_the_sum_of_its_parts():
    head = _revise(margin=0.3, mmd_weight=2.0, reconstruction_weight=0.5)
    v, s = torch.randn(4, 8, dtype=torch.float64), torch.randn(3, 6, dtype=torch.float64)
    labels = torch.tensor([0, 2, 2, 1])
    total, parts = head.loss(v, s, labels)
    visual_in, text_in = F.layer_norm(v, (8,)), s / s.norm(dim=1, keepdim=True)
    z_v, z_s = head.visual_encoder(visual_in), head.text_encoder(text_in)
    reconstruction = (((head.visual_decoder(z_v) - visual_in) ** 2).mean()
                      + ((head.text_decoder(z_s) - text_in) ** 2).mean())
    scores = head.score(v, s).tolist()
    rank = sum(max(0.0, 0.3 - scores[n][labels[n]] + scores[n][c]) for n in range(4) for c in range(3)
               if c != labels[n]) / 4
    mmd = gaussian_mmd(z_v, z_s[labels], head.config.bandwidths).detach()
    assert math.isclose(float(parts["rank"]), rank, rel_tol=1e-9)
    reconstruction = float(reconstruction.detach())
    assert math.isclose(float(parts["reconstruction"]), reconstruction, rel_tol=1e-9)
    assert math.isclose(float(total.detach()), 0.5 * reconstruction + 2.0 * float(mmd) + rank, rel_tol=1e-9)
