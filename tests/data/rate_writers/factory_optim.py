"""OpenNMT-py's pattern: an optimizer wrapper built by a ``@classmethod`` factory that returns ``cls(...)``, whose
``step()`` writes the rate a decay function gives (a ``functools.partial`` of a Noam decay) and then steps the
wrapped optimizer."""
import argparse
import functools

import torch
from torch import nn

lr_history = []


def noam_decay(step, warmup_steps, model_size):
    return model_size ** (-0.5) * min(step ** (-0.5), step * warmup_steps ** (-1.5))


def make_learning_rate_decay_fn(opt):
    return functools.partial(noam_decay, warmup_steps=opt.warmup_steps, model_size=opt.rnn_size)


class Optimizer(object):
    def __init__(self, optimizer, learning_rate, learning_rate_decay_fn=None):
        self._optimizer = optimizer
        self._learning_rate = learning_rate
        self._learning_rate_decay_fn = learning_rate_decay_fn
        self._decay_step = 1

    @classmethod
    def from_opt(cls, model, opt):
        optimizer = torch.optim.Adam(model.parameters(), lr=opt.learning_rate, betas=(0.9, 0.998))
        return cls(optimizer, opt.learning_rate, learning_rate_decay_fn=make_learning_rate_decay_fn(opt))

    def learning_rate(self):
        if self._learning_rate_decay_fn is None:
            return self._learning_rate
        return self._learning_rate_decay_fn(self._decay_step) * self._learning_rate

    def zero_grad(self):
        self._optimizer.zero_grad()

    def step(self):
        learning_rate = self.learning_rate()
        for group in self._optimizer.param_groups:
            group["lr"] = learning_rate
        self._optimizer.step()
        self._decay_step += 1


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--learning_rate", type=float, default=2.0)
    parser.add_argument("--warmup_steps", type=int, default=300)
    parser.add_argument("--rnn_size", type=int, default=512)
    parser.add_argument("--train_steps", type=int, default=2000)
    opt = parser.parse_args([])
    model = nn.Linear(8, 8)
    optim = Optimizer.from_opt(model, opt)
    x = torch.randn(4, 8)
    for step in range(opt.train_steps):
        loss = model(x).pow(2).mean()
        optim.zero_grad()
        loss.backward()
        optim.step()
        lr_history.append(optim._optimizer.param_groups[0]["lr"])  # the rate this step trained with


if __name__ == "__main__":
    main()
