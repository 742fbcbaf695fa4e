"""SMIE head: the JSD estimator and hinge against hand-computed values, fast scoring, negatives, keyframe masking."""

import math

import pytest
import torch
import torch.nn.functional as F

from core.cli import main
from core.model.smie import (
    SMIEConfig,
    SMIEHead,
    jsd_mutual_information,
    mask_keyframes,
    negative_pairs,
    smie_loss,
)
from core.skeleton.motion import motion_attention


def _softplus(z: float) -> float:
    return math.log1p(math.exp(z))


def _head(seed: int = 0, **overrides) -> tuple[SMIEHead, SMIEConfig]:
    torch.manual_seed(seed)
    config = SMIEConfig(visual_dim=8, text_dim=6, hidden_dims=(16, 12), **overrides)
    return SMIEHead(config).double(), config


def _naive_estimate(head: SMIEHead, v: torch.Tensor, s: torch.Tensor) -> float:
    """T(v, s) for one pair, written out layer by layer from the method description."""
    h = torch.cat([F.layer_norm(v, v.shape), s / s.norm()])
    for index, layer in enumerate(head.layers):
        h = layer.weight @ h + layer.bias
        if index < len(head.layers) - 1:
            h = torch.relu(h)
    return float(h.detach())


def test_jsd_mutual_information_by_hand():
    pos = torch.tensor([0.0, math.log(3.0)])
    neg = torch.tensor([0.0, -1.0, 2.0])
    expected = (-(_softplus(0.0) + _softplus(-math.log(3.0))) / 2
                - (_softplus(0.0) + _softplus(-1.0) + _softplus(2.0)) / 3)
    assert math.isclose(float(jsd_mutual_information(pos, neg)), expected, rel_tol=1e-6)
    assert math.isclose(expected, -math.log(8 / 3) / 2 - (math.log(2) + _softplus(-1) + _softplus(2)) / 3)
    # no negatives at all: only the positive term
    assert math.isclose(float(jsd_mutual_information(pos, torch.zeros(0))), -math.log(8 / 3) / 2, rel_tol=1e-6)


def test_score_equals_the_naive_pair_mlp_and_prepared_labels():
    head, _ = _head()
    v, s = torch.randn(3, 8, dtype=torch.float64), torch.randn(5, 6, dtype=torch.float64)
    scores = head.score(v, s)
    expected = torch.tensor([[-_softplus(-_naive_estimate(head, v[n], s[c])) for c in range(5)] for n in range(3)],
                            dtype=torch.float64)
    torch.testing.assert_close(scores, expected)
    torch.testing.assert_close(head.score_prepared(v, head.prepare_labels(s)), scores)
    torch.testing.assert_close(head.pair_estimates(v, s[:3]), head.estimates(v, s).diagonal()[:3])


def test_scores_do_not_depend_on_label_order():
    head, _ = _head()
    v, s = torch.randn(4, 8, dtype=torch.float64), torch.randn(7, 6, dtype=torch.float64)
    order = torch.randperm(7)
    torch.testing.assert_close(head.score(v, s[order]), head.score(v, s)[:, order])


def test_negative_pairs_roll_and_all():
    labels = torch.tensor([0, 0, 1, 2, 1])
    visual, text = negative_pairs(labels, "roll")
    assert list(zip(visual.tolist(), text.tolist())) == [(1, 0), (2, 1), (3, 2), (4, 3), (0, 4)]
    visual, text = negative_pairs(labels, "all")
    pairs = set(zip(visual.tolist(), text.tolist()))
    expected = {(j, i) for j in range(5) for i in range(5) if labels[j] != labels[i]}
    assert pairs == expected and len(pairs) == 25 - (4 + 4 + 1)
    assert not (labels[visual] == labels[text]).any()


@pytest.mark.parametrize("negatives", ["roll", "all"])
@pytest.mark.parametrize("margin", [10.0, -10.0])  # hinge active / inactive
def test_smie_loss_from_known_estimates(negatives, margin):
    head, config = _head(negatives=negatives, margin=margin, temporal_weight=0.5)
    labels = torch.tensor([0, 1, 1, 2])
    v, v_masked = torch.randn(4, 8, dtype=torch.float64), torch.randn(4, 8, dtype=torch.float64)
    s = torch.randn(3, 6, dtype=torch.float64)[labels]
    total, parts = smie_loss(head, v, v_masked, s, labels, config)

    t_pos = [_naive_estimate(head, v[i], s[i]) for i in range(4)]
    t_masked = [_naive_estimate(head, v_masked[i], s[i]) for i in range(4)]
    if negatives == "roll":
        pairs = [((i + 1) % 4, i) for i in range(4)]
    else:
        pairs = [(j, i) for j in range(4) for i in range(4) if labels[j] != labels[i]]
    t_neg = [_naive_estimate(head, v[j], s[i]) for j, i in pairs]
    negative_term = sum(_softplus(t) for t in t_neg) / len(t_neg)
    mi = -sum(_softplus(-t) for t in t_pos) / 4 - negative_term
    mi_temporal = -sum(_softplus(-t) for t in t_masked) / 4 - negative_term
    hinge = max(0.0, margin - (mi - mi_temporal))
    assert (hinge > 0) == (margin > 0)
    assert math.isclose(float(parts["mi"]), mi, rel_tol=1e-9)
    assert math.isclose(float(parts["mi_temporal"]), mi_temporal, rel_tol=1e-9)
    assert math.isclose(float(parts["loss_temporal"]), hinge, abs_tol=1e-12)
    assert math.isclose(float(total.detach()), -mi + 0.5 * hinge, rel_tol=1e-9)


def test_loss_without_temporal_term_and_gradients():
    head, config = _head(temporal="none")
    labels = torch.tensor([0, 1, 2])
    v, s_all = torch.randn(3, 8, dtype=torch.float64), torch.randn(3, 6, dtype=torch.float64)
    total, parts = head.loss(v, s_all, labels, v_masked=torch.randn(3, 8, dtype=torch.float64))
    assert "loss_temporal" not in parts
    assert math.isclose(float(total.detach()), -float(parts["mi"]))
    total.backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in head.parameters())


def test_mask_keyframes_follows_the_temporal_mode():
    torch.manual_seed(0)
    x = torch.randn(2, 3, 50, 25, 1)
    keyframes = motion_attention(x).topk(15, dim=1).indices
    paper = mask_keyframes(x, SMIEConfig(temporal="paper"))
    zeroed = (paper.abs().sum(dim=(1, 3, 4)) == 0)  # (N, T)
    for n in range(2):
        assert set(zeroed[n].nonzero().flatten().tolist()) == set(keyframes[n].tolist())
    official = mask_keyframes(x, SMIEConfig(temporal="official"), torch.Generator().manual_seed(1))
    assert official.shape == x.shape and not torch.equal(official, paper)
    with pytest.raises(AssertionError, match="no masking"):
        mask_keyframes(x, SMIEConfig(temporal="none"))


@pytest.mark.parametrize("negatives", ["roll", "all"])
def test_head_learns_separable_classes(negatives):
    """Adam steps on three well-separated clusters: the MI objective must make argmax scores classify them."""
    head, config = _head(negatives=negatives, temporal="none")
    head = head.float()
    torch.manual_seed(1)
    centres, s_all = torch.randn(3, 8) * 3, torch.randn(3, 6)
    labels = torch.arange(3).repeat(10)[torch.randperm(30)]
    v = centres[labels] + 0.3 * torch.randn(30, 8)
    optimizer = torch.optim.Adam(head.parameters(), lr=1e-2)
    for _ in range(60):
        total, _ = head.loss(v, s_all, labels)
        optimizer.zero_grad()
        total.backward()
        optimizer.step()
    with torch.no_grad():
        accuracy = (head.score(v, s_all).argmax(dim=1) == labels).float().mean()
    assert accuracy > 0.95, accuracy


def test_bench_scorer_command_prints_the_promised_json(capsys):
    import json

    assert main(["bench-scorer", "--json", "--labels", "7", "--repeats", "3"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert set(result["ms_per_window"]) == {"p50", "p95"} and result["labels"] == 7
    assert result["windows_per_s"] > 0
