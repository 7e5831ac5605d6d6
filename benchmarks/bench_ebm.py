"""Training steps per second of every part of the energy-based-models page against plain PyTorch
loops of the same computation written the obvious way, in the same process:
- Langevin particle steps (lab.experiments.langevin): the ring of 8 with 5,000 particles, ULA
  and MALA, the run's own KL logging included;
- score-network steps (lab.experiments.score_matching): the banana with the exact, denoising and
  sliced objectives, the run's Fisher logging included at the default configs' cadence;
- contrastive-divergence steps (lab.experiments.ebm): the defaults on the two far bumps, short-run
  and persistent negatives (40 Langevin steps each), the run's KL logging included;
- the GAN as an EBM (lab.experiments.ebm_gan): the banana's min-max, energy net against the same
  flow, the run's log Z / bound / KL logging included;
- the diffusion part (lab.experiments.diffusion): the noise-conditional score network, the DDPM
  and the single-level score network, one Adam step each on the default two-mode toy; no
  sampling read-out falls inside the timed steps at the default cadence.

    python -m benchmarks.bench_ebm [--steps 200] [--repeats 3]

One thread, as the app runs. Timings are process CPU seconds and the loops alternate (A B A B ...),
keeping each one's best, so other load on a shared machine hurts both alike. The experiments
run on the CPU only (their nets and particle clouds are small); there is no device option.
Prints one line per case: GenLab steps/s, plain steps/s, ratio (target >= 1.0).
"""
from __future__ import annotations

import argparse
import math
import time

import torch
from torch import nn

from lab.data import densities
from lab.experiments.diffusion import DiffusionConfig, make_run as diffusion_run
from lab.experiments.ebm import CDConfig, make_run as cd_run
from lab.experiments.langevin import LangevinConfig, make_run as langevin_run
from lab.experiments.ebm_gan import EbmGanConfig, flows, make_run as ebm_gan_run
from lab.experiments.score_matching import ScoreConfig, make_run as score_run


def _ring_log_p(x: torch.Tensor) -> torch.Tensor:
    """The ring of 8 written out: log sum_k (1/8) N(x; mu_k, 0.2^2 I)."""
    mix = densities.resolve("ring").mixture
    mu, sd = torch.tensor(mix.means, dtype=x.dtype), 0.2
    sq = ((x[:, None, :] - mu[None]) ** 2).sum(-1)
    return torch.logsumexp(-0.5 * sq / sd ** 2, 1) - math.log(8 * 2 * math.pi * sd ** 2)


def plain_langevin(steps: int, mala: bool, n: int = 5000, eta: float = 0.002) -> float:
    gen = torch.Generator().manual_seed(0)
    x = torch.rand(n, 2, generator=gen, dtype=torch.float64) * 6 - 3
    t0 = time.process_time()
    for _ in range(steps):
        x.requires_grad_(True)
        lp = _ring_log_p(x)
        g, = torch.autograd.grad(lp.sum(), x)
        x = x.detach()
        y = x + eta * g + math.sqrt(2 * eta) * torch.randn(x.shape, generator=gen, dtype=x.dtype)
        if mala:
            y.requires_grad_(True)
            lp_y = _ring_log_p(y)
            g_y, = torch.autograd.grad(lp_y.sum(), y)
            y = y.detach()
            log_a = (lp_y.detach() - lp.detach() - ((x - y - eta * g_y) ** 2).sum(1) / (4 * eta)
                     + ((y - x - eta * g) ** 2).sum(1) / (4 * eta))
            y = torch.where((torch.log(torch.rand(n, generator=gen, dtype=x.dtype)) < log_a)[:, None], y, x)
        x = y
    return steps / (time.process_time() - t0)


def advance_rate(run, steps: int) -> float:
    """GenLab's side: run.advance(steps), as the page and the command line call it, in steps/s."""
    t0 = time.process_time()
    run.advance(steps)
    return steps / (time.process_time() - t0)


def genlab_langevin(steps: int, mala: bool) -> float:
    run = langevin_run(LangevinConfig(target="ring", mala=mala, particles=5000))     # the default logging
    return advance_rate(run, steps)


def plain_score(steps: int, method: str, batch: int = 256, sigma: float = 0.1) -> float:
    torch.manual_seed(0)
    gen = torch.Generator().manual_seed(0)
    net = nn.Sequential(nn.Linear(2, 64), nn.SiLU(), nn.Linear(64, 64), nn.SiLU(), nn.Linear(64, 2))
    opt = torch.optim.Adam(net.parameters(), lr=3e-3)
    a, b, c = densities.BANANA
    t0 = time.process_time()
    for _ in range(steps):
        x1 = a * torch.randn(batch, generator=gen)
        x = torch.stack([x1, b * x1 ** 2 - c + torch.randn(batch, generator=gen)], 1)
        if method == "denoising":
            eps = torch.randn(x.shape, generator=gen)
            loss = 0.5 * ((net(x + sigma * eps) + eps / sigma) ** 2).sum(1).mean()
        else:
            x.requires_grad_(True)
            s = net(x)
            if method == "exact":
                tr = sum(torch.autograd.grad(s[:, i].sum(), x, create_graph=True)[0][:, i] for i in range(2))
            else:
                v = torch.randn(x.shape, generator=gen)
                tr = (v * torch.autograd.grad((v * s).sum(), x, create_graph=True)[0]).sum(1)
            loss = (0.5 * (s ** 2).sum(1) + tr).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    return steps / (time.process_time() - t0)


def genlab_score(steps: int, method: str) -> float:
    return advance_rate(score_run(ScoreConfig(target="banana", method=method)), steps)   # 2,000 steps' logging


def plain_cd(steps: int, persistent: bool, batch: int = 256, k: int = 40, eta: float = 0.01,
             alpha: float = 0.1, reinit: float = 0.05) -> float:
    torch.manual_seed(0)
    gen = torch.Generator().manual_seed(0)
    f = nn.Sequential(nn.Linear(1, 64), nn.SiLU(), nn.Linear(64, 64), nn.SiLU(), nn.Linear(64, 1))
    opt = torch.optim.Adam(f.parameters(), lr=3e-3, betas=(0.0, 0.999))
    lo, hi = -6.25, 6.25                                     # the two far bumps' box
    chains = lo + (hi - lo) * torch.rand(batch, 1, generator=gen)
    t0 = time.process_time()
    for _ in range(steps):
        pick = torch.rand(batch, generator=gen) < 0.5
        x_pos = torch.where(pick, -4.0, 4.0)[:, None] + 0.5 * torch.randn(batch, 1, generator=gen)
        if persistent:
            fresh = torch.rand(batch, generator=gen) < reinit
            x = chains.clone()
            x[fresh] = lo + (hi - lo) * torch.rand(int(fresh.sum()), 1, generator=gen)
        else:
            x = lo + (hi - lo) * torch.rand(batch, 1, generator=gen)
        for _ in range(k):
            x.requires_grad_(True)
            g, = torch.autograd.grad(f(x).sum(), x)
            x = (x.detach() + eta * g + math.sqrt(2 * eta) * torch.randn(x.shape, generator=gen)).clamp(lo, hi)
        chains = x.detach()
        fp, fn = f(x_pos)[:, 0], f(chains)[:, 0]
        loss = fn.mean() - fp.mean() + alpha * (fp ** 2 + fn ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    return steps / (time.process_time() - t0)


def genlab_cd(steps: int, persistent: bool) -> float:
    return advance_rate(cd_run(CDConfig(target="bumps", persistent=persistent)), steps)   # 1,000 steps' logging


def plain_diffusion(steps: int, batch: int = 256, width: int = 64) -> float:
    """The three nets' step written out: sigma^2-weighted denoising score matching over 10 geometric
    levels (net(x, log sigma) / sigma), DDPM's L_simple over 500 linear-beta steps, and denoising
    score matching at the smallest sigma."""
    torch.manual_seed(0)
    gen = torch.Generator().manual_seed(0)
    cfg = DiffusionConfig()
    mix = densities.resolve(cfg.target).mixture
    w, mu = torch.tensor(mix.weights), torch.tensor(mix.means, dtype=torch.float32)
    sd = torch.tensor(mix.stds, dtype=torch.float32)
    sig = torch.tensor([cfg.sigma_max * (cfg.sigma_min / cfg.sigma_max) ** (i / (cfg.levels - 1))
                        for i in range(cfg.levels)])
    beta = torch.linspace(2e-4, 0.04, cfg.ddpm_steps, dtype=torch.float64)
    abar = torch.cumprod(1 - beta, 0).float()

    def mlp(d_in):
        return nn.Sequential(nn.Linear(d_in, width), nn.SiLU(), nn.Linear(width, width), nn.SiLU(), nn.Linear(width, 2))
    nets = [mlp(3), mlp(3), mlp(2)]
    opts = [torch.optim.Adam(n.parameters(), lr=cfg.lr) for n in nets]
    t0 = time.process_time()
    for _ in range(steps):
        k = torch.multinomial(w, batch, replacement=True, generator=gen)
        x = mu[k] + sd[k][:, None] * torch.randn(batch, 2, generator=gen)
        i = torch.randint(cfg.levels, (batch,), generator=gen)
        s = sig[i][:, None]
        eps = torch.randn(x.shape, generator=gen)
        score = nets[0](torch.cat([x + s * eps, s.log()], 1)) / s
        l1 = 0.5 * ((s * score + eps) ** 2).sum(1).mean()
        t = torch.randint(cfg.ddpm_steps, (batch,), generator=gen)
        a = abar[t][:, None]
        eps2 = torch.randn(x.shape, generator=gen)
        c = (2 * t.float() / (cfg.ddpm_steps - 1) - 1)[:, None]
        l2 = ((eps2 - nets[1](torch.cat([a.sqrt() * x + (1 - a).sqrt() * eps2, c], 1))) ** 2).sum(1).mean()
        eps3 = torch.randn(x.shape, generator=gen)
        l3 = 0.5 * ((nets[2](x + cfg.sigma_min * eps3) + eps3 / cfg.sigma_min) ** 2).sum(1).mean()
        for opt, loss in zip(opts, (l1, l2, l3)):
            opt.zero_grad()
            loss.backward()
            opt.step()
    return steps / (time.process_time() - t0)


def genlab_diffusion(steps: int) -> float:
    run = diffusion_run(DiffusionConfig())          # read-outs every 200 of 2,000 steps: none inside the timed steps
    t0 = time.process_time()
    run.advance(min(steps, 199))
    return min(steps, 199) / (time.process_time() - t0)
def plain_minmax(steps: int, batch: int = 256, width: int = 64) -> float:
    """max_f min_q E_p f - E_q f - H(q) on the banana: one f step on E_q f - E_p f, one q step on
    -E_q f + E_q log q, the flow the experiment's own (a model, not the loop)."""
    torch.manual_seed(0)
    gen = torch.Generator().manual_seed(0)
    target = densities.resolve("banana")
    f = nn.Sequential(nn.Linear(2, width), nn.SiLU(), nn.Linear(width, width), nn.SiLU(), nn.Linear(width, 1))
    flow = flows.make(2, target.box, 4, width, gen)
    opt_f = torch.optim.Adam(f.parameters(), lr=1e-3, betas=(0.5, 0.999))
    opt_q = torch.optim.Adam(flow.parameters(), lr=3e-3, betas=(0.5, 0.999))
    t0 = time.process_time()
    for _ in range(steps):
        real = target.sample(batch, gen).float()
        with torch.no_grad():
            fake = flow.sample(batch, gen)[0]
        loss_f = f(fake).mean() - f(real).mean()
        opt_f.zero_grad()
        loss_f.backward()
        opt_f.step()
        x, log_q = flow.sample(batch, gen)
        loss_q = -f(x).mean() + log_q.mean()
        opt_q.zero_grad()
        loss_q.backward()
        opt_q.step()
    return steps / (time.process_time() - t0)


def genlab_minmax(steps: int) -> float:
    run = ebm_gan_run(EbmGanConfig(target="banana"))          # the default 3,000 steps' logging cadence
    t0 = time.process_time()
    run.advance(steps)
    return steps / (time.process_time() - t0)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=200)
    ap.add_argument("--repeats", type=int, default=3)
    a = ap.parse_args()
    torch.set_num_threads(1)
    genlab_score(3, "exact")        # first optimiser construction imports torch._dynamo: not timed
    cases = [("langevin ULA", lambda: genlab_langevin(a.steps, False), lambda: plain_langevin(a.steps, False)),
             ("langevin MALA", lambda: genlab_langevin(a.steps, True), lambda: plain_langevin(a.steps, True))]
    cases += [(f"score {m}", lambda m=m: genlab_score(a.steps, m), lambda m=m: plain_score(a.steps, m))
              for m in ("exact", "denoising", "sliced")]
    cd_steps = max(1, a.steps // 4)            # 40 Langevin steps each: a CD step costs ~40 score steps
    cases += [(f"cd {kind}", lambda p=p: genlab_cd(cd_steps, p), lambda p=p: plain_cd(cd_steps, p))
              for kind, p in (("short-run", False), ("persistent", True))]
    cases.append(("diffusion 3 nets", lambda: genlab_diffusion(a.steps), lambda: plain_diffusion(min(a.steps, 199))))
    cases += [("ebm_gan minmax", lambda: genlab_minmax(a.steps), lambda: plain_minmax(a.steps))]
    print(f"{'case':<16} {'GenLab st/s':>12} {'plain st/s':>11} {'ratio':>6}")
    for name, ours_fn, ref_fn in cases:
        ours, ref = 0.0, 0.0
        for _ in range(a.repeats):
            ours = max(ours, ours_fn())
            ref = max(ref, ref_fn())
        print(f"{name:<16} {ours:12.0f} {ref:11.0f} {ours / ref:6.2f}")


if __name__ == "__main__":
    main()
