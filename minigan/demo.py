"""``python -m minigan.demo``: a one-minute tour of the autograd engine.

It fits a small two-layer network to y = sin(x) with plain gradient descent, written with nothing
but minigan Tensors, and then shows the engine differentiating twice: the second derivative of
the fitted curve, computed by ``minigan.grad(..., create_graph=True)``.
"""
import argparse

import numpy as np

import minigan as mg


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], prog="python -m minigan.demo")
    parser.add_argument("--steps", type=int, default=5000, help="gradient-descent steps (default: %(default)s)")
    parser.add_argument("--lr", type=float, default=0.1, help="learning rate (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default: %(default)s)")
    args = parser.parse_args(argv)

    mg.manual_seed(args.seed)
    x = mg.tensor(np.linspace(-3, 3, 64).reshape(-1, 1))
    y = mg.tensor(np.sin(x.numpy()))
    w1 = (mg.randn(1, 32) * 1.0).detach().requires_grad_()
    b1 = mg.zeros(32, requires_grad=True)
    w2 = (mg.randn(32, 1) * 0.2).detach().requires_grad_()
    params = [w1, b1, w2]

    def net(inputs):
        return mg.tanh(inputs @ w1 + b1) @ w2

    for step in range(args.steps + 1):
        loss = ((net(x) - y) ** 2).mean()
        for p in params:
            p.grad = None
        loss.backward()
        with mg.no_grad():
            for p in params:
                p -= args.lr * p.grad  # in place, outside the graph: the hand-written SGD step
        if step % (args.steps // 5) == 0:
            print(f"step {step:5d}   mean squared error {loss.item():.5f}")

    point = mg.tensor([[1.0]], requires_grad=True)
    (slope,) = mg.grad(net(point).sum(), point, create_graph=True)
    (curvature,) = mg.grad(slope.sum(), point)
    print(f"at x = 1: fitted slope {slope.item():+.3f} (cos 1 = {np.cos(1):+.3f}), "
          f"curvature {curvature.item():+.3f} (-sin 1 = {-np.sin(1):+.3f})")


if __name__ == "__main__":
    main()
