"""Reference values for t2c's losses, optimisers and schedules from PyTorch.

Writes testdata/pytorch/train_reference.json. Run from the repo root with
Debian's PyTorch:  /usr/bin/python3 scripts/make_train_fixtures.py
Go tests (train/*_test.go) read the JSON; they never need Python.
"""
import json
import math

import torch

torch.manual_seed(0)
out = {}

# Cross-entropy with label smoothing: loss and gradient w.r.t. the logits.
logits = torch.randn(4, 5, dtype=torch.float32, requires_grad=True)
labels = torch.tensor([0, 3, 4, 1])
for eps in (0.0, 0.1):
    loss = torch.nn.functional.cross_entropy(logits, labels, label_smoothing=eps)
    (grad,) = torch.autograd.grad(loss, logits)
    out[f"ce_{eps}"] = {"loss": loss.item(), "grad": grad.flatten().tolist()}
out["logits"] = logits.detach().flatten().tolist()
out["labels"] = labels.tolist()

# Knowledge distillation, T=4, alpha=0.5: (1-a)*CE + a*T^2*KL(teacher||student).
teacher = torch.randn(4, 5)
T, a = 4.0, 0.5
kl = torch.nn.functional.kl_div(torch.log_softmax(logits / T, 1), torch.softmax(teacher / T, 1), reduction="batchmean")
loss = (1 - a) * torch.nn.functional.cross_entropy(logits, labels) + a * T * T * kl
(grad,) = torch.autograd.grad(loss, logits)
out["kd"] = {"teacher": teacher.flatten().tolist(), "loss": loss.item(), "grad": grad.flatten().tolist()}

# Optimisers: three steps on one parameter with fixed gradients.
p0 = torch.randn(6)
grads = [torch.randn(6) for _ in range(3)]
out["p0"] = p0.tolist()
out["grads"] = [g.tolist() for g in grads]
configs = {
    "sgd": lambda p: torch.optim.SGD([p], lr=0.1, momentum=0.9, weight_decay=5e-4),
    "sgd_nesterov": lambda p: torch.optim.SGD([p], lr=0.1, momentum=0.9, weight_decay=5e-4, nesterov=True),
    "adam": lambda p: torch.optim.Adam([p], lr=0.01, weight_decay=1e-2),
    "adamw": lambda p: torch.optim.AdamW([p], lr=0.01, weight_decay=1e-2),
}
for name, make in configs.items():
    p = torch.nn.Parameter(p0.clone())
    opt = make(p)
    for g in grads:
        p.grad = g.clone()
        opt.step()
    out[name] = p.detach().tolist()

# Cosine schedule per epoch (no warm-up): CosineAnnealingLR(T_max=10).
p = torch.nn.Parameter(torch.zeros(1))
opt = torch.optim.SGD([p], lr=0.1)
sch = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=10)
lrs = []
for _ in range(10):
    lrs.append(opt.param_groups[0]["lr"])
    opt.step()
    sch.step()
out["cosine_lrs"] = lrs
out["torch_version"] = torch.__version__

with open("testdata/pytorch/train_reference.json", "w") as f:
    json.dump(out, f, indent=1)
print("wrote testdata/pytorch/train_reference.json")
