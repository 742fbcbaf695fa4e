"""The generated test clips are what their docstrings say they are."""

import numpy as np
from io_fixtures import J, waving_clip, write_waving_skeleton

from core.readers.ntu import read_ntu_skeleton


def test_waving_clip_round_trips_through_the_ntu_writer(tmp_path):
    clip = read_ntu_skeleton(write_waving_skeleton(tmp_path / "wave.skeleton", seconds=2.0))
    assert clip.joints.shape == (60, 1, 25, 3) and clip.valid.all()
    np.testing.assert_allclose(clip.joints, waving_clip(2.0).joints, atol=1e-6)
    hand = clip.joints[:, 0, J["HandRight"], 1]
    assert hand.max() - hand.min() > 0.4, "the right hand must visibly wave"
    still = clip.joints[:, 0, J["HandLeft"], 1]
    assert still.max() - still.min() < 0.05, "the left hand stays down"
