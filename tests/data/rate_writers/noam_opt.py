"""The Annotated Transformer's NoamOpt: a plain class that counts, writes the rate on its optimizer's groups and
steps it (no torch scheduler involved)."""
import torch
from torch import nn

TOTAL_STEPS = 3000
lr_history = []


class NoamOpt:
    "Optim wrapper that implements rate."

    def __init__(self, model_size, factor, warmup, optimizer):
        self.optimizer = optimizer
        self._step = 0
        self.warmup = warmup
        self.factor = factor
        self.model_size = model_size
        self._rate = 0

    def step(self):
        "Update parameters and rate"
        self._step += 1
        rate = self.rate()
        for p in self.optimizer.param_groups:
            p["lr"] = rate
        self._rate = rate
        self.optimizer.step()

    def rate(self, step=None):
        "Implement `lrate` above"
        if step is None:
            step = self._step
        return self.factor * (self.model_size ** (-0.5) * min(step ** (-0.5), step * self.warmup ** (-1.5)))


def main():
    model = nn.Linear(8, 8)
    opt = NoamOpt(512, 2, 400, torch.optim.Adam(model.parameters(), lr=0, betas=(0.9, 0.98), eps=1e-9))
    x = torch.randn(4, 8)
    for step in range(TOTAL_STEPS):
        loss = model(x).pow(2).mean()
        opt.optimizer.zero_grad()
        loss.backward()
        opt.step()
        lr_history.append(opt.optimizer.param_groups[0]["lr"])  # the rate this step trained with


if __name__ == "__main__":
    main()
