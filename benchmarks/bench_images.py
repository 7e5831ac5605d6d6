"""Images per second of GenLab's DCGAN trainer against a plain pytorch/examples-style loop
(dcgan/main.py: float32, BCELoss on a sigmoid D, the same fake batch reused for the G step),
GenLab's being the `ns` recipe (DCGAN: the non-saturating loss, Adam 2e-4 (0.5, 0.999)),
same architecture and widths, same device, in the same process. Target: ratio >= 1.0.

    python -m benchmarks.bench_images              # from the repository root; CPU: 32 px, one thread
    python -m benchmarks.bench_images              # the same on a CUDA machine: 64 px, bf16 + channels_last

On CUDA it also times the same trainer with its whole step captured in one CUDA graph
(cuda_graphs=on, lab.images.graphs; targets: >= 1.8x the eager trainer and >= 2x the examples
loop at batch 256), prints the fraction of wall time the GPU spends in kernels for both (the
profiler's kernel time / wall time; goal >= 90% graphed), and the achieved fraction of the card's
peak dense bf16/fp16 tensor throughput, with the FLOPs of one training step counted by
torch.utils.flop_counter. `--recipe wgan_gp --batch 128` measures WGAN-GP before and after.
Timings alternate the two loops (A B A B ...) and keep each one's best, so a noisy shared
machine hurts both alike; on a CPU they are process CPU seconds (see `timed`).
"""
from __future__ import annotations

import argparse
import time

import torch
from torch import nn

from lab.data.images import ImageData
from lab.device import pick_device
from lab.gan import recipes
from lab.images.trainer import GANTrainer

# Dense tensor-core peaks (TFLOP/s, bf16 or fp16 with fp32 accumulate, no sparsity), vendor data sheets.
PEAK_TFLOPS = {"H200": 989.0, "H100": 989.0, "A100": 312.0, "L40S": 362.0, "L4": 121.0, "A10": 125.0,
               "V100": 125.0, "T4": 65.0, "RTX 4090": 165.0, "RTX 3090": 71.0}


def reference_nets(nz: int, ngf: int, nc: int, size: int):
    """pytorch/examples' Generator / Discriminator, with the number of stages set by `size`."""
    stages = {32: 3, 64: 4}[size]
    ch = ngf * 2 ** (stages - 1)
    g = [nn.ConvTranspose2d(nz, ch, 4, 1, 0, bias=False), nn.BatchNorm2d(ch), nn.ReLU(True)]
    for _ in range(stages - 1):
        g += [nn.ConvTranspose2d(ch, ch // 2, 4, 2, 1, bias=False), nn.BatchNorm2d(ch // 2), nn.ReLU(True)]
        ch //= 2
    g += [nn.ConvTranspose2d(ch, nc, 4, 2, 1, bias=False), nn.Tanh()]
    d, ch = [nn.Conv2d(nc, ngf, 4, 2, 1, bias=False), nn.LeakyReLU(0.2, inplace=True)], ngf
    for _ in range(stages - 1):
        d += [nn.Conv2d(ch, ch * 2, 4, 2, 1, bias=False), nn.BatchNorm2d(ch * 2), nn.LeakyReLU(0.2, inplace=True)]
        ch *= 2
    d += [nn.Conv2d(ch, 1, 4, 1, 0, bias=False), nn.Sigmoid()]
    return nn.Sequential(*g), nn.Sequential(*d)


class Reference:
    """The loop of pytorch/examples dcgan/main.py, unchanged in substance."""

    def __init__(self, data: torch.Tensor, nz: int, ngf: int, batch: int, device: torch.device):
        self.data, self.nz, self.batch, self.device = data, nz, batch, device
        self.netG, self.netD = (m.to(device) for m in reference_nets(nz, ngf, data.shape[1], data.shape[-1]))
        self.criterion = nn.BCELoss()
        self.optD = torch.optim.Adam(self.netD.parameters(), lr=2e-4, betas=(0.5, 0.999))
        self.optG = torch.optim.Adam(self.netG.parameters(), lr=2e-4, betas=(0.5, 0.999))

    def step(self) -> None:
        idx = torch.randint(len(self.data), (self.batch,), device=self.device)
        real = self.data[idx]
        # (1) Update D network: maximize log(D(x)) + log(1 - D(G(z)))
        self.netD.zero_grad()
        label = torch.full((self.batch,), 1.0, device=self.device)
        errD_real = self.criterion(self.netD(real).view(-1), label)
        errD_real.backward()
        fake = self.netG(torch.randn(self.batch, self.nz, 1, 1, device=self.device))
        label.fill_(0.0)
        errD_fake = self.criterion(self.netD(fake.detach()).view(-1), label)
        errD_fake.backward()
        self.optD.step()
        # (2) Update G network: maximize log(D(G(z)))
        self.netG.zero_grad()
        label.fill_(1.0)
        errG = self.criterion(self.netD(fake).view(-1), label)
        errG.backward()
        self.optG.step()
        self.last = errG.item()       # examples print the losses every iteration


def timed(fn, steps: int, device: torch.device) -> float:
    """Seconds for `steps` steps: wall clock on CUDA; on a CPU the process's CPU time, which
    other jobs on a shared machine inflate far less than the wall clock (one thread)."""
    if device.type == "cuda":
        torch.cuda.synchronize()
        t0 = time.perf_counter()
        fn(steps)
        torch.cuda.synchronize()
        return time.perf_counter() - t0
    t0 = time.process_time()
    fn(steps)
    return time.process_time() - t0


def flops_per_step(trainer: GANTrainer) -> float:
    from torch.utils.flop_counter import FlopCounterMode
    with FlopCounterMode(display=False) as counter:
        trainer.advance(1)
    return float(counter.get_total_flops())


def kernel_fraction(advance, steps: int, device: torch.device) -> float:
    """GPU kernel time / wall time over `steps` steps (torch.profiler): how busy the card is."""
    from torch.profiler import ProfilerActivity, profile
    torch.cuda.synchronize(device)
    with profile(activities=[ProfilerActivity.CUDA]) as prof:
        t0 = time.perf_counter()
        advance(steps)
        torch.cuda.synchronize(device)
        wall = time.perf_counter() - t0
    kernels = sum(e.device_time_total for e in prof.key_averages() if e.device_type.name == "CUDA")
    return kernels / 1e6 / wall


def peak_for(device: torch.device, override: float | None) -> float | None:
    if override:
        return override
    name = torch.cuda.get_device_name(device)
    for key, value in PEAK_TFLOPS.items():
        if key in name:
            return value
    return None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--device", default="auto")
    ap.add_argument("--size", type=int, default=0, help="32 or 64; default 32 on CPU, 64 on CUDA")
    ap.add_argument("--batch", type=int, default=0, help="default 64 on CPU, 256 on CUDA")
    ap.add_argument("--width", type=int, default=0, help="ngf = ndf; default 32 on CPU, 64 on CUDA")
    ap.add_argument("--steps", type=int, default=0, help="timed steps per round; default 20 CPU, 200 CUDA")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--peak-tflops", type=float, default=None, help="the card's peak, if not in the table")
    ap.add_argument("--recipe", default="ns", help="GenLab's recipe (the examples loop is always DCGAN's)")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    device = pick_device(a.device)
    cuda = device.type == "cuda"
    size, batch = a.size or (64 if cuda else 32), a.batch or (256 if cuda else 64)
    width, steps = a.width or (64 if cuda else 32), a.steps or (200 if cuda else 20)
    if cuda:
        torch.backends.cudnn.benchmark = True    # examples set it too
    gen = torch.Generator().manual_seed(0)
    images = torch.randint(0, 256, (2048, 3, size, size), generator=gen, dtype=torch.uint8)
    data = ImageData(images.clone(), None, "fake")
    make = lambda graphs: GANTrainer(recipes.get(a.recipe), data, latent=100, width=width, batch=batch,  # noqa: E731
                                     seed=0, device=device, cuda_graphs=graphs)
    ours = make("off")
    graphed = make("on") if cuda else None
    ref = Reference((images.float() / 127.5 - 1).to(device), 100, width, batch, device)
    ref_steps = lambda k: [ref.step() for _ in range(k)]  # noqa: E731
    ours.advance(3)                                        # warm-up: cuDNN autotuning, allocator
    ref_steps(3)
    if graphed is not None:
        graphed.advance(5)                                 # 3 eager warm-up steps, the capture, a replay
    best_ours = best_ref = best_graph = float("inf")
    for _ in range(a.rounds):
        best_ours = min(best_ours, timed(ours.advance, steps, device))
        best_ref = min(best_ref, timed(ref_steps, steps, device))
        if graphed is not None:
            best_graph = min(best_graph, timed(graphed.advance, steps, device))
    ips_ours, ips_ref = steps * batch / best_ours, steps * batch / best_ref
    print(f"device: {device} ({torch.cuda.get_device_name(device) if cuda else f'{a.threads} thread(s)'}), "
          f"precision: {ours.precision}, channels_last: {ours.memory_format == torch.channels_last}")
    print(f"DCGAN {size} px, batch {batch}, width {width}, best of {a.rounds} x {steps} steps")
    print(f"  GenLab trainer ({a.recipe}): {ips_ours:10.1f} images/s")
    print(f"  pytorch/examples loop: {ips_ref:10.1f} images/s")
    print(f"  ratio: {ips_ours / ips_ref:.2f}x (target >= 1.0)")
    if graphed is None:
        print("  CUDA graph: skipped (a CUDA feature; this is a CPU)")
    else:
        ips_graph = steps * batch / best_graph
        print(f"  GenLab, one CUDA graph: {ips_graph:10.1f} images/s ({graphed.graph_note}); "
              f"{ips_graph / ips_ours:.2f}x eager (target >= 1.8), {ips_graph / ips_ref:.2f}x examples (target >= 2)")
        for label, trainer in (("eager", ours), ("graphed", graphed)):
            print(f"  GPU busy in kernels, {label}: {kernel_fraction(trainer.advance, steps, device):.1%}")
    if cuda:
        flops = flops_per_step(ours)
        achieved = flops * steps / best_ours / 1e12
        peak = peak_for(device, a.peak_tflops)
        frac = f"{achieved / peak:.1%} of {peak:.0f} TFLOP/s peak" if peak else "peak unknown: pass --peak-tflops"
        print(f"  {flops / 1e9:.1f} GFLOP per step; achieved {achieved:.1f} TFLOP/s = {frac}")


if __name__ == "__main__":
    main()
