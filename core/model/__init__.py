"""The networks and what they need: graph, ST-GCN and its fused inference copy, input streams, the SMIE head,
baselines, the text encoder with its cache, and the model folder (checkpoint).

Imports core.skeleton and core.readers (label specs); torch lives here."""
