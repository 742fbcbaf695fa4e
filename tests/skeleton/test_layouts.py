"""The NTU-25 layout table and the ST-GCN graph derived from it."""

import numpy as np

from core.model.graph import adjacency, hop_distance, spatial_partition
from core.skeleton.layouts import NTU25, get_layout


def test_ntu25_table_matches_the_kinect_v2_order():
    assert NTU25.num_joints == 25
    assert NTU25.joint_names[20] == "SpineShoulder" and NTU25.center == 20
    assert len(NTU25.edges) == 24  # a tree over 25 joints
    assert get_layout("ntu25") is NTU25


def test_left_right_pairs_and_mirror_permutation():
    names = NTU25.joint_names
    for left, right in NTU25.left_right_pairs:
        assert names[left].replace("Left", "Right") == names[right]
    perm = NTU25.mirror_permutation
    assert sorted(perm) == list(range(25))
    assert all(perm[perm[j]] == j for j in range(25))
    assert perm[NTU25.index["HandLeft"]] == NTU25.index["HandRight"]
    assert perm[NTU25.index["Head"]] == NTU25.index["Head"]


def test_graph_is_connected_and_symmetric():
    adj = adjacency(NTU25)
    assert np.array_equal(adj, adj.T)
    assert np.isfinite(hop_distance(NTU25, max_hop=25)).all()


def test_spatial_partition_has_three_subsets_with_normalised_columns():
    parts = spatial_partition(NTU25)
    assert parts.shape == (3, 25, 25)
    np.testing.assert_allclose(parts.sum(axis=(0, 1)), np.ones(25), rtol=1e-6)
    # nothing is nearer to the centre than the centre itself
    assert parts[2, :, NTU25.center].sum() == 0
    # for an elbow, the wrist is the farther neighbour and the shoulder the nearer one
    elbow, shoulder, wrist = (NTU25.index[n] for n in ("ElbowLeft", "ShoulderLeft", "WristLeft"))
    assert parts[0, elbow, elbow] > 0 and parts[1, wrist, elbow] > 0 and parts[2, shoulder, elbow] > 0
    assert parts[1, shoulder, elbow] == 0 and parts[2, wrist, elbow] == 0
