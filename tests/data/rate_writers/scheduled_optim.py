"""attention-is-all-you-need-pytorch's ScheduledOptim: the training loop calls step_and_update_lr(), which updates
the rate through private helpers and then steps the wrapped optimizer; zero_grad() goes through the wrapper too."""
import torch
from torch import nn

D_MODEL = 256
N_WARMUP = 500
N_EPOCHS = 4
BATCHES = 250
lr_history = []


class ScheduledOptim():
    '''A simple wrapper class for learning rate scheduling'''

    def __init__(self, optimizer, lr_mul, d_model, n_warmup_steps):
        self._optimizer = optimizer
        self.lr_mul = lr_mul
        self.d_model = d_model
        self.n_warmup_steps = n_warmup_steps
        self.n_steps = 0

    def step_and_update_lr(self):
        "Step with the inner optimizer"
        self._update_learning_rate()
        self._optimizer.step()

    def zero_grad(self):
        "Zero out the gradients with the inner optimizer"
        self._optimizer.zero_grad()

    def _get_lr_scale(self):
        d_model = self.d_model
        n_steps, n_warmup_steps = self.n_steps, self.n_warmup_steps
        return (d_model ** -0.5) * min(n_steps ** (-0.5), n_steps * n_warmup_steps ** (-1.5))

    def _update_learning_rate(self):
        ''' Learning rate scheduling per step '''
        self.n_steps += 1
        lr = self.lr_mul * self._get_lr_scale()
        for param_group in self._optimizer.param_groups:
            param_group['lr'] = lr


def train_epoch(model, optimizer, x):
    for _ in range(BATCHES):
        optimizer.zero_grad()
        loss = model(x).pow(2).mean()
        loss.backward()
        optimizer.step_and_update_lr()
        lr_history.append(optimizer._optimizer.param_groups[0]["lr"])


def main():
    model = nn.Linear(8, 8)
    optimizer = ScheduledOptim(torch.optim.Adam(model.parameters(), betas=(0.9, 0.98), eps=1e-09),
                               2.0, D_MODEL, N_WARMUP)
    x = torch.randn(4, 8)
    for epoch in range(N_EPOCHS):
        train_epoch(model, optimizer, x)


if __name__ == "__main__":
    main()
