"""Skeleton data: the clip type, joint layouts, joint maps into NTU-25, normalisation and motion attention.

numpy only (torch inside the batched helpers that take tensors); imports no other package of core."""
