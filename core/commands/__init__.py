"""Sub-commands of the `smie` command line, and the argument types several of them share."""

import argparse


def odd_kernel_frames(text: str) -> int:
    """argparse type of --temporal-kernel: a positive odd number of frames (the convolution is centred)."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1 or value % 2 == 0:
        raise argparse.ArgumentTypeError(f"must be a positive odd number of frames, got {text!r}")
    return value
