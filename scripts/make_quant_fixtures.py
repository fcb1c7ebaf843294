"""Make PyTorch reference fixtures for the Go quantizer tests (package quant).

Run with Debian's python3-torch (1.13):  /usr/bin/python3 scripts/make_quant_fixtures.py
Everything is written under testdata/quant/ (float32 / int64 .npy, a few KB):

  minmax_channel.*   w [8,4,3,3] (normal, one outlier per output channel);
                     torch.ao.quantization.PerChannelMinMaxObserver(ch_axis=0,
                     qint8, per_channel_symmetric) -> scale [8], zero_point [8];
                     torch.fake_quantize_per_channel_affine(w, ..., -128, 127) -> fq.
  minmax_tensor.*    x [4,16] uniform(-1, 3); MinMaxObserver(quint8,
                     per_tensor_affine) -> scale, zero_point;
                     torch.fake_quantize_per_tensor_affine(x, ..., 0, 255) -> fq.
  lsq.*              x [64], dy [64] (normal); PyTorch's learnable fake quant
                     torch._fake_quantize_learnable_per_tensor_affine(x, s=0.3,
                     z=3, 0, 15, grad_factor = 1/sqrt(numel*qmax)) -> y, and the
                     gradients dx, dscale of sum(y*dy).
  percentile.*       x [1000] (normal, float32); torch.quantile(x, [1e-4, 0.9999])
                     (linear interpolation) -> q [2].

PyTorch's observers compute exactly the ranges t2c documents (range widened to
include 0; signed: max|x| / ((qmax-qmin)/2); unsigned: (max-min)/(qmax-qmin),
z = qmin - round(min/s)); its fake-quant kernels multiply by 1/s where t2c
divides by s, which can only differ for values within an ulp of a rounding
tie (none in these draws; the tests would show it).
"""

import json
import os

import numpy as np
import torch
from torch.ao.quantization import MinMaxObserver, PerChannelMinMaxObserver

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "testdata", "quant")


def save(name, arr):
    np.save(os.path.join(OUT, name + ".npy"), arr)


def main():
    os.makedirs(OUT, exist_ok=True)
    g = torch.Generator().manual_seed(20240501)

    # Per-channel symmetric int8 weights.
    w = torch.randn(8, 4, 3, 3, generator=g)
    for c in range(8):
        w[c, c % 4, 1, 1] = 3.0 + c  # an outlier per channel
    obs = PerChannelMinMaxObserver(ch_axis=0, dtype=torch.qint8, qscheme=torch.per_channel_symmetric)
    obs(w)
    scale, zp = obs.calculate_qparams()
    fq = torch.fake_quantize_per_channel_affine(w, scale.float(), zp.int(), 0, -128, 127)
    save("minmax_channel.w", w.numpy())
    save("minmax_channel.scale", scale.float().numpy())
    save("minmax_channel.zero_point", zp.long().numpy())
    save("minmax_channel.fq", fq.numpy())

    # Per-tensor asymmetric uint8 activations.
    x = torch.rand(4, 16, generator=g) * 4 - 1
    obs = MinMaxObserver(dtype=torch.quint8, qscheme=torch.per_tensor_affine)
    obs(x)
    scale, zp = obs.calculate_qparams()
    fq = torch.fake_quantize_per_tensor_affine(x, float(scale), int(zp), 0, 255)
    save("minmax_tensor.x", x.numpy())
    save("minmax_tensor.scale", scale.float().numpy().reshape(1))
    save("minmax_tensor.zero_point", zp.long().numpy().reshape(1))
    save("minmax_tensor.fq", fq.numpy())

    # LSQ: PyTorch's learnable fake quant, unsigned 4-bit, zero point 3.
    x = torch.randn(64, generator=g) * 2
    dy = torch.randn(64, generator=g)
    s = torch.tensor([0.3], requires_grad=True)
    z = torch.tensor([3.0])
    qmin, qmax = 0, 15
    gf = 1.0 / (x.numel() * qmax) ** 0.5
    xv = x.clone().requires_grad_(True)
    y = torch._fake_quantize_learnable_per_tensor_affine(xv, s, z, qmin, qmax, gf)
    (y * dy).sum().backward()
    save("lsq.x", x.numpy())
    save("lsq.dy", dy.numpy())
    save("lsq.y", y.detach().numpy())
    save("lsq.dx", xv.grad.numpy())
    save("lsq.dscale", s.grad.numpy())
    with open(os.path.join(OUT, "lsq.json"), "w") as f:
        json.dump({"scale": 0.3, "zero_point": 3, "bits": 4, "signed": False, "grad_factor": gf}, f, indent=1)

    # Percentiles with linear interpolation.
    x = torch.randn(1000, generator=g)
    q = torch.quantile(x, torch.tensor([1e-4, 0.9999]))
    save("percentile.x", x.numpy())
    save("percentile.q", q.numpy())


if __name__ == "__main__":
    main()
