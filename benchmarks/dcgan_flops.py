"""The FLOP count of the reference DCGAN step (``torch_reference.py`` explains the rules), without PyTorch.

The benchmarks quote GFLOP/s for minigan alone too, so the count lives here, importable where
PyTorch is not installed; ``torch_reference`` and ``bench_layers`` take it from here.
"""
LATENT_DIM = 100

# Per-sample forward multiply-adds of each layer (formulas in torch_reference's docstring).
FORWARD_MACS = {
    "G.fc": LATENT_DIM * 128 * 7 * 7,
    "G.bn0": 0,
    "G.deconv1": 128 * 7 * 7 * 64 * 4 * 4,
    "G.bn1": 0,
    "G.deconv2": 64 * 14 * 14 * 1 * 4 * 4,
    "D.conv1": 64 * 14 * 14 * 1 * 4 * 4,
    "D.conv2": 128 * 7 * 7 * 64 * 4 * 4,
    "D.bn2": 0,
    "D.fc": 128 * 7 * 7 * 1,
}


def step_flops(batch: int) -> tuple[int, int]:
    """FLOPs of one training step at this batch size: ``(rule, exact)`` (see torch_reference's docstring)."""
    forward = {name: 2 * macs * batch for name, macs in FORWARD_MACS.items()}
    forward_g = sum(flops for name, flops in forward.items() if name.startswith("G."))
    forward_d = sum(flops for name, flops in forward.items() if name.startswith("D."))
    rule = 3 * forward_g + 9 * forward_d
    exact = rule - forward["G.fc"] - 2 * forward["D.conv1"]
    return rule, exact
