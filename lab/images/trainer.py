"""Steppable trainers for images: `advance(k)` runs k updates and returns plain floats.

The GAN loop is pytorch/examples' dcgan/main.py, with the objective picked from
lab.objectives and the gradient penalty from lab.lipschitz:
    update D: minimise d_loss(D(x), D(G(z)))  [+ lambda * GP for WGAN-GP], n_critic times
    update G: minimise mean g_loss(D(G(z)))
A fixed noise batch is drawn once, so sample grids over training are comparable.

On CUDA: autocast to bfloat16 (float16 with a GradScaler where bf16 is missing); the gradient
penalty is computed in float32 (its double backward is the numerically touchy part). On CPU:
float32. channels_last tensors everywhere (measured: +10% images/s on a CPU, and the layout
cuDNN's tensor-core kernels want).
"""
from __future__ import annotations

import time
from contextlib import nullcontext

import torch
from torch import nn

from lab.gan import lipschitz, objectives
from lab.device import build_seeded, generator
from lab.images import distributed
from lab.images.conv_vae import ConvVAE
from lab.data.images import ImageData
from lab.images.dcgan import VARIANTS, build

N_FIXED = 64


PRECISIONS = ("float32", "bfloat16", "float16")


def precision_for(device: torch.device) -> str:
    """What pays on `device`: mixed bf16 on a CUDA card that has it, else fp16; float32 on a CPU."""
    if device.type != "cuda":
        return "float32"
    return "bfloat16" if torch.cuda.is_bf16_supported() else "float16"


class _Base:
    """Device, precision, seeded streams, epoch-wise shuffled batches, the fixed noise."""

    def __init__(self, data: ImageData, batch: int, seed: int, device: torch.device, z_dim: int,
                 precision: str | None = None):
        self.data, self.batch, self.device, self.z_dim = data, batch, device, z_dim
        # `precision` forces a mode: the tests run the mixed-precision path on a CPU this way
        self.precision = precision or precision_for(device)
        self.cuda = device.type == "cuda"
        self.amp_dtype = {"bfloat16": torch.bfloat16, "float16": torch.float16}.get(self.precision)
        # channels_last lets cuDNN use tensor-core kernels; on a CPU oneDNN gained ~10% here too
        self.memory_format = torch.channels_last
        distributed.setup(device)
        rank = distributed.rank()                               # each replica its own batches and noise
        self.gen = generator(seed + 7919 * rank)                # data order (CPU)
        self.dev_gen = generator(seed + 1 + 7919 * rank, device)  # z, eps, GP mixing on the device
        if self.cuda:
            self.data.images = self.data.images.to(device)      # uint8: CIFAR is 150 MB at 32 px
            torch.backends.cudnn.benchmark = True               # fixed shapes: autotune each conv once
        self.fixed_z = torch.randn(N_FIXED, z_dim, generator=generator(seed + 2)).to(device)
        self._perm, self._pos = torch.randperm(len(data.images), generator=self.gen), 0
        self.step = 0
        self.images_seen = 0
        self.train_seconds = 0.0

    def autocast(self):
        if self.amp_dtype is None:
            return nullcontext()
        return torch.autocast(self.device.type, dtype=self.amp_dtype)

    def _scaler(self):
        return torch.amp.GradScaler(self.device.type, enabled=self.precision == "float16")

    def next_real(self) -> torch.Tensor:
        """(batch, C, H, W) in [-1, 1]: the next batch of a per-epoch shuffle (as a DataLoader)."""
        n = len(self.data.images)
        if self._pos + self.batch > n:
            self._perm, self._pos = torch.randperm(n, generator=self.gen), 0
        idx = self._perm[self._pos:self._pos + self.batch]
        self._pos += self.batch
        x = self.data.batch(idx.to(self.images_device), self.device)
        return x.contiguous(memory_format=self.memory_format)

    @property
    def images_device(self) -> torch.device:
        return self.data.images.device

    def noise(self, n: int) -> torch.Tensor:
        return torch.randn(n, self.z_dim, generator=self.dev_gen, device=self.device)

    def _stream_state(self) -> dict:
        return {"gen": self.gen.get_state(), "dev_gen": self.dev_gen.get_state(), "perm": self._perm,
                "pos": self._pos, "step": self.step, "images_seen": self.images_seen,
                "train_seconds": self.train_seconds}

    def _load_stream_state(self, s: dict) -> None:
        self.gen.set_state(s["gen"])
        self.dev_gen.set_state(s["dev_gen"])
        self._perm, self._pos = s["perm"], int(s["pos"])
        self.step, self.images_seen = int(s["step"]), int(s["images_seen"])
        self.train_seconds = float(s.get("train_seconds", 0.0))

    def _timed(self, body, k: int) -> dict:
        t0 = time.perf_counter()
        sums = body(k)
        if self.cuda:
            torch.cuda.synchronize(self.device)
        dt = time.perf_counter() - t0
        self.train_seconds += dt
        out = {name: float(v) / max(k, 1) for name, v in sums.items()}  # one host sync per advance
        out["images_per_sec"] = self.images_per_step * k / dt if dt > 0 else float("nan")
        return out


class GANTrainer(_Base):
    def __init__(self, model: str, data: ImageData, z_dim: int = 64, width: int = 32, batch: int = 64,
                 lr: float = 2e-4, betas: tuple[float, float] = (0.5, 0.999), n_critic: int = 1,
                 gp_lambda: float = 10.0, seed: int = 0, device: torch.device | None = None,
                 precision: str | None = None):
        super().__init__(data, batch, seed, device or torch.device("cpu"), z_dim, precision)
        size = data.images.shape[-1]
        self.G, self.D = build_seeded(seed, lambda: build(model, z_dim, data.channels, size, width))
        self.G.to(self.device, memory_format=self.memory_format)
        self.D.to(self.device, memory_format=self.memory_format)
        _, _, loss, self.uses_gp = VARIANTS[model]
        self.objective = objectives.get(loss)
        self.n_critic, self.gp_lambda = n_critic, gp_lambda
        self.opt_g = torch.optim.Adam(self.G.parameters(), lr=lr, betas=betas)
        self.opt_d = torch.optim.Adam(self.D.parameters(), lr=lr, betas=betas)
        self.scaler_g, self.scaler_d = self._scaler(), self._scaler()
        self.images_per_step = batch * n_critic * distributed.world_size()   # all replicas together
        self.train_G, self.train_D = distributed.wrap(self.G, self.device), distributed.wrap(self.D, self.device)

    def _d_value(self, out: torch.Tensor) -> torch.Tensor:
        """D(x) as a probability for the probabilistic objectives, else the critic's raw value."""
        return torch.sigmoid(out).mean() if self.objective.probabilistic else out.mean()

    def _penalty(self, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
        shape = real.shape[1:]
        # lab.lipschitz works on (n, d) rows: flatten the images, unflatten inside the critic.
        f = lambda v: self.train_D(v.view(-1, *shape).contiguous(memory_format=self.memory_format))  # noqa: E731
        return self.gp_lambda * lipschitz.gradient_penalty(f, real.flatten(1).float(), fake.flatten(1).float(),
                                                            self.dev_gen)

    def _steps(self, k: int) -> dict:
        G, D, obj = self.train_G, self.train_D, self.objective
        G.train()
        D.train()
        sums = {n: torch.zeros((), device=self.device) for n in ("loss_d", "loss_g", "d_real", "d_fake", "gp")}
        for _ in range(k):
            # update D: minimise d_loss(D(x), D(G(z))) (+ GP), n_critic times
            for i in range(self.n_critic):
                real = self.next_real()
                with self.autocast():
                    # only the last critic step's fake batch is reused by G: no graph for the others
                    with torch.set_grad_enabled(i == self.n_critic - 1):
                        fake = G(self.noise(self.batch))
                    out_r, out_f = D(real), D(fake.detach())
                    loss_d = obj.d_loss(out_r.float(), out_f.float())
                total = loss_d
                if self.uses_gp:
                    pen = self._penalty(real, fake.detach())
                    total = total + pen
                    sums["gp"] += pen.detach()
                self.opt_d.zero_grad(set_to_none=True)
                self.scaler_d.scale(total).backward()
                self.scaler_d.step(self.opt_d)
                self.scaler_d.update()
            sums["loss_d"] += loss_d.detach()
            sums["d_real"] += self._d_value(out_r.detach().float())
            sums["d_fake"] += self._d_value(out_f.detach().float())
            # update G: minimise mean g_loss(D(G(z))), reusing the last fake batch as
            # pytorch/examples does (one generator forward per step)
            with self.autocast():
                loss_g = obj.g_loss(D(fake).float()).mean()
            self.opt_g.zero_grad(set_to_none=True)
            self.scaler_g.scale(loss_g).backward()
            self.scaler_g.step(self.opt_g)
            self.scaler_g.update()
            sums["loss_g"] += loss_g.detach()
            self.step += 1
            self.images_seen += self.images_per_step
        if not self.uses_gp:
            del sums["gp"]
        return sums

    def advance(self, k: int) -> dict:
        """k generator updates (each after n_critic D updates): mean losses, D(x), D(G(z)), images/s."""
        return self._timed(self._steps, k)

    @torch.no_grad()
    def sample(self, z: torch.Tensor | None = None) -> torch.Tensor:
        """Images in [-1, 1], float32 on the CPU, from G in eval mode (batch norm's running stats)."""
        self.G.eval()
        z = self.fixed_z if z is None else z.to(self.device)
        with self.autocast():
            x = self.G(z)
        return x.float().cpu()

    def state_dict(self) -> dict:
        return {"G": self.G.state_dict(), "D": self.D.state_dict(), "opt_g": self.opt_g.state_dict(),
                "opt_d": self.opt_d.state_dict(), "fixed_z": self.fixed_z.cpu(), **self._stream_state()}

    def load_state_dict(self, s: dict) -> None:
        self.G.load_state_dict(s["G"])
        self.D.load_state_dict(s["D"])
        self.opt_g.load_state_dict(s["opt_g"])
        self.opt_d.load_state_dict(s["opt_d"])
        self.fixed_z = s["fixed_z"].to(self.device)
        self._load_stream_state(s)


class VAETrainer(_Base):
    def __init__(self, data: ImageData, z_dim: int = 16, width: int = 32, batch: int = 64, lr: float = 1e-3,
                 beta: float = 1.0, seed: int = 0, device: torch.device | None = None,
                 precision: str | None = None):
        super().__init__(data, batch, seed, device or torch.device("cpu"), z_dim, precision)
        size = data.images.shape[-1]
        self.vae: nn.Module = build_seeded(seed, lambda: ConvVAE(z_dim, data.channels, size, width))
        self.vae.to(self.device, memory_format=self.memory_format)
        self.opt = torch.optim.Adam(self.vae.parameters(), lr=lr)
        self.scaler = self._scaler()
        self.beta = beta
        self.train_vae = distributed.wrap(self.vae, self.device)
        self.images_per_step = batch * distributed.world_size()

    def _steps(self, k: int) -> dict:
        self.vae.train()
        sums = {n: torch.zeros((), device=self.device) for n in ("loss", "recon", "kl")}
        for _ in range(k):
            x = (self.next_real() + 1) / 2                              # [0, 1] pixels
            with self.autocast():
                parts = self.train_vae(x, self.dev_gen, self.beta)
            self.opt.zero_grad(set_to_none=True)
            self.scaler.scale(parts["loss"]).backward()
            self.scaler.step(self.opt)
            self.scaler.update()
            for n in sums:
                sums[n] += parts[n].detach()
            self.step += 1
            self.images_seen += self.images_per_step
        return sums

    def advance(self, k: int) -> dict:
        """k updates of -ELBO_beta: mean loss, reconstruction, KL (nats per image), images/s."""
        return self._timed(self._steps, k)

    @torch.no_grad()
    def sample(self, z: torch.Tensor | None = None) -> torch.Tensor:
        """Decoded means mapped to [-1, 1] (the GAN's convention), float32 on the CPU."""
        self.vae.eval()
        z = self.fixed_z if z is None else z.to(self.device)
        with self.autocast():
            x = self.vae.decode(z)
        return (2 * x.float() - 1).cpu()

    @torch.no_grad()
    def reconstruct(self, x: torch.Tensor) -> torch.Tensor:
        """x in [-1, 1] -> decoded posterior means in [-1, 1] (CPU)."""
        self.vae.eval()
        with self.autocast():
            mu, _ = self.vae.encode((x.to(self.device).float() + 1) / 2)
            y = self.vae.decode(mu)
        return (2 * y.float() - 1).cpu()

    def state_dict(self) -> dict:
        return {"vae": self.vae.state_dict(), "opt": self.opt.state_dict(), "fixed_z": self.fixed_z.cpu(),
                **self._stream_state()}

    def load_state_dict(self, s: dict) -> None:
        self.vae.load_state_dict(s["vae"])
        self.opt.load_state_dict(s["opt"])
        self.fixed_z = s["fixed_z"].to(self.device)
        self._load_stream_state(s)
