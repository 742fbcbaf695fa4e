"""ST-GCN graph maths as pure numpy: adjacency, hop distances and the spatial partitioning strategy (K=3)."""

import numpy as np

from core.skeleton.layouts import Layout


def adjacency(layout: Layout) -> np.ndarray:
    """(V, V) symmetric 0/1 adjacency of the layout's edges, without self-loops."""
    num_joints = layout.num_joints
    adj = np.zeros((num_joints, num_joints), dtype=np.float32)
    for child, parent in layout.edges:
        adj[child, parent] = adj[parent, child] = 1.0
    return adj


def hop_distance(layout: Layout, max_hop: int = 1) -> np.ndarray:
    """(V, V) graph distance in hops, np.inf beyond max_hop."""
    step = (adjacency(layout) + np.eye(layout.num_joints, dtype=np.float32)) > 0
    dist = np.where(np.eye(layout.num_joints, dtype=bool), 0.0, np.inf)
    reach = np.eye(layout.num_joints, dtype=bool)
    for d in range(1, max_hop + 1):
        reach = (reach.astype(np.int32) @ step.astype(np.int32)) > 0  # stays boolean: no overflow
        dist[reach & np.isinf(dist)] = d
    return dist


def normalize_columns(adj: np.ndarray) -> np.ndarray:
    """Divide each column by its degree (ST-GCN's normalize_digraph: A D^-1)."""
    degree = adj.sum(axis=0)
    inverse = np.where(degree > 0, 1.0 / np.maximum(degree, 1e-12), 0.0)
    return (adj * inverse[None, :]).astype(np.float32)


def spatial_partition(layout: Layout) -> np.ndarray:
    """(3, V, V) ST-GCN spatial strategy. Entry [k, j, i] weights input joint j in output joint i's sum.

    Subsets in the official ST-GCN order: 0 neighbours as far from the centre as i (i itself included),
    1 neighbours farther from the centre than i, 2 neighbours nearer to the centre than i."""
    hops = hop_distance(layout, max_hop=1)
    to_center = hop_distance(layout, max_hop=layout.num_joints)[:, layout.center]
    neighbours = normalize_columns((hops <= 1).astype(np.float32))
    num_joints = layout.num_joints
    parts = np.zeros((3, num_joints, num_joints), dtype=np.float32)
    for i in range(num_joints):
        for j in range(num_joints):
            if hops[j, i] > 1:
                continue
            if to_center[j] == to_center[i]:
                parts[0, j, i] = neighbours[j, i]
            elif to_center[j] > to_center[i]:
                parts[1, j, i] = neighbours[j, i]
            else:
                parts[2, j, i] = neighbours[j, i]
    return parts
