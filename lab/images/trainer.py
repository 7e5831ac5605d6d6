"""Steppable trainers for images: `advance(k)` runs k updates and returns plain floats.

The GAN loop is pytorch/examples' dcgan/main.py on GenLab's GAN kit: the D objective is
lab.gan.step.d_objective and the G loss lab.gan.step.g_loss (note 001's Algorithm 1), the
objective, constraint and optimiser come from a paper recipe (lab.gan.recipes):
    update D: minimise d_loss(D(x), D(G(z))) [+ lambda * GP], then clip if the recipe clips; d_steps times
    update G: minimise mean g_loss(D(G(z)))
A fixed noise batch is drawn once, so sample grids over training are comparable.

What is this trainer's own: on CUDA, autocast to bfloat16 (float16 with a GradScaler where bf16
is missing), the gradient penalty in float32 outside autocast (its double backward is the
numerically touchy part); float32 on a CPU; channels_last tensors everywhere (measured: +10%
images/s on a CPU, and the layout cuDNN's tensor-core kernels want); DistributedDataParallel
under torchrun (lab.images.distributed); on CUDA, the whole step (D steps and G step) captured
in one CUDA graph and replayed (lab.images.graphs): the step is one function of its random
sources, so the eager and the graphed loop train by the same lines.
"""
from __future__ import annotations

import contextlib
import time
from contextlib import nullcontext

import torch
from torch import nn

from lab.config import ConfigError
from lab.data.images import ImageData
from lab.device import build_seeded, generator
from lab.gan import lipschitz, objectives
from lab.gan.recipes import Recipe, make_optimizer, set_lr
from lab.gan.step import d_objective, g_loss
from lab.images import distributed, graphs
from lab.images.conv_vae import ConvVAE
from lab.images.dcgan import build, d_norm

N_FIXED = 64
PRECISIONS = ("float32", "bfloat16", "float16")


def precision_for(device: torch.device) -> str:
    """What pays on `device`: mixed bf16 on a CUDA card that has it, else fp16; float32 on a CPU."""
    if device.type != "cuda":
        return "float32"
    return "bfloat16" if torch.cuda.is_bf16_supported() else "float16"


@contextlib.contextmanager
def evaluating(*nets: nn.Module):
    """The nets in eval mode (batch norm's running statistics, no spectral-norm power
    iteration), each put back in the mode it was in: a read leaves training untouched."""
    modes = [n.training for n in nets]
    for n in nets:
        n.eval()
    try:
        yield
    finally:
        for n, mode in zip(nets, modes):
            n.train(mode)


class _Base:
    """Device, precision, seeded streams, epoch-wise shuffled batches, the fixed noise."""

    def __init__(self, data: ImageData, batch: int, seed: int, device: torch.device, latent: int,
                 precision: str | None = None, cuda_graphs: str = "auto"):
        self.data, self.batch, self.device, self.latent = data, batch, device, latent
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
        self.fixed_z = torch.randn(N_FIXED, latent, generator=generator(seed + 2)).to(device)
        self._perm, self._pos = torch.randperm(len(data.images), generator=self.gen), 0
        self.step = 0
        self.images_seen = 0
        self.train_seconds = 0.0
        self.graphs_asked = cuda_graphs
        self.graphed, self.graph_note = graphs.resolve(cuda_graphs, device, self.precision, distributed.world_size())
        if self.graphed:
            graphs.seed_default(device, seed + 11)
        self._graph: graphs.StepGraph | None = None
        self._sums: dict[str, torch.Tensor] = {}

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
        x = self.data.batch(idx.to(self.data.images.device), self.device)
        return x.contiguous(memory_format=self.memory_format)

    def noise(self, n: int) -> torch.Tensor:
        return torch.randn(n, self.latent, generator=self.dev_gen, device=self.device)

    def sources(self, graphed: bool) -> tuple:
        """(next real batch, noise of n rows, the generator for other draws) of one step. Eager:
        the per-epoch shuffle and the run's device generator. Graphed: batches drawn uniformly on
        the device (the index is part of the graph) and the default CUDA generator (None)."""
        if not graphed:
            return self.next_real, self.noise, self.dev_gen
        n = len(self.data.images)

        def real() -> torch.Tensor:
            idx = torch.randint(n, (self.batch,), device=self.data.images.device)
            return self.data.batch(idx, self.device).contiguous(memory_format=self.memory_format)
        return real, lambda rows: torch.randn(rows, self.latent, device=self.device), None

    def _loop(self, k: int, one_step, names: tuple[str, ...]) -> dict:
        """k steps of `one_step(sums, graphed)`, each adding its numbers into `sums` on the
        device: eagerly, or as replays of one captured step (the sums then live as long as the
        graph, and are zeroed before and copied after each call)."""
        if not self.graphed:
            sums = {n: torch.zeros((), device=self.device) for n in names}
            for _ in range(k):
                one_step(sums, False)
                self.step += 1
                self.images_seen += self.images_per_step
            return sums
        if self._graph is None:
            self._sums = {n: torch.zeros((), device=self.device) for n in names}
            self._graph = graphs.StepGraph(lambda: one_step(self._sums, True), self.device)
        for v in self._sums.values():
            v.zero_()
        for done in range(k):
            try:
                self._graph.run()
            except graphs.CaptureFailed as err:
                if self.graphs_asked == "on":
                    raise ConfigError(f"cuda_graphs=on: the step could not be captured ({err}); "
                                      "use cuda_graphs=auto or off") from None
                # auto: train on eagerly (the capturable optimisers work there too), and say so
                self.graphed, self._graph = False, None
                self.graph_note = f"trained eagerly: the step could not be captured ({err})"
                rest = self._loop(k - done, one_step, names)
                return {n: v + rest[n] for n, v in self._sums.items()}
            self.step += 1
            self.images_seen += self.images_per_step
        return {n: v.clone() for n, v in self._sums.items()}

    def _regraph(self) -> None:
        """A number the captured step baked in changed (a rate, lambda, D steps...): capture again."""
        if self._graph is not None:
            self._graph.drop()

    def _stream_state(self) -> dict:
        return {"gen": self.gen.get_state(), "dev_gen": self.dev_gen.get_state(), "perm": self._perm,
                "pos": self._pos, "step": self.step, "images_seen": self.images_seen,
                "train_seconds": self.train_seconds, "fixed_z": self.fixed_z.cpu()}

    def _load_stream_state(self, s: dict) -> None:
        self._graph = None         # the optimisers' state tensors are new objects: capture anew
        self.gen.set_state(s["gen"])
        self.dev_gen.set_state(s["dev_gen"])
        self._perm, self._pos = s["perm"], int(s["pos"])
        self.step, self.images_seen = int(s["step"]), int(s["images_seen"])
        self.train_seconds = float(s.get("train_seconds", 0.0))
        self.fixed_z = s["fixed_z"].to(self.device)

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
    """A DCGAN trained by a paper recipe: its objective, constraint (which also picks D's layers:
    lab.images.dcgan.d_norm), optimiser, rates, betas and D steps."""

    def __init__(self, recipe: Recipe, data: ImageData, latent: int = 64, width: int = 32, batch: int = 64,
                 seed: int = 0, device: torch.device | None = None, precision: str | None = None,
                 cuda_graphs: str = "auto"):
        super().__init__(data, batch, seed, device or torch.device("cpu"), latent, precision, cuda_graphs)
        size = data.images.shape[-1]
        self.objective = objectives.get(recipe.objective)
        self.constraint = lipschitz.make_constraint(recipe.constraint, recipe.clip, recipe.gp_lambda)
        norm = d_norm(recipe.constraint)
        # one forward over real and fake together, unless batch norm would mix their statistics
        self.joint = norm != "bn"
        self.G, self.D = build_seeded(seed, lambda: build(latent, data.channels, size, width, norm=norm,
                                                          layer=self.constraint.layer))
        self.G.to(self.device, memory_format=self.memory_format)
        self.D.to(self.device, memory_format=self.memory_format)
        betas = (recipe.beta1, recipe.beta2)
        self.opt_g = make_optimizer(recipe.optimizer, self.G.parameters(), recipe.lr_g, betas, self.graphed)
        self.opt_d = make_optimizer(recipe.optimizer, self.D.parameters(), recipe.lr_d, betas, self.graphed)
        self.scaler_g, self.scaler_d = self._scaler(), self._scaler()
        self.d_steps = recipe.d_steps
        self.train_G, self.train_D = distributed.wrap(self.G, self.device), distributed.wrap(self.D, self.device)

    @property
    def images_per_step(self) -> int:
        """Real images one G step consumes, all replicas together."""
        return self.batch * self.d_steps * distributed.world_size()

    def retune(self, recipe: Recipe) -> None:
        """The recipe's live values: rates, betas, D steps, the constraint's weight."""
        set_lr(self.opt_d, recipe.lr_d)
        set_lr(self.opt_g, recipe.lr_g)
        for opt in (self.opt_d, self.opt_g):
            for group in opt.param_groups:
                if "betas" in group:
                    group["betas"] = (recipe.beta1, recipe.beta2)
        self.d_steps = recipe.d_steps
        if isinstance(self.constraint, lipschitz.GradientPenalty):
            self.constraint.lam = recipe.gp_lambda
        if isinstance(self.constraint, lipschitz.WeightClip):
            self.constraint.c = recipe.clip
        self._regraph()

    def _d(self, x: torch.Tensor) -> torch.Tensor:
        """D's raw outputs in float32 (the losses are computed in float32 under autocast)."""
        return self.train_D(x).float()

    def _penalty(self, real: torch.Tensor, fake: torch.Tensor, gen: torch.Generator | None) -> torch.Tensor | None:
        """The constraint's penalty (WGAN-GP's lambda * GP; None for the others) in float32,
        outside autocast. lab.gan.lipschitz works on (n, d) rows: flatten the images,
        unflatten inside the critic."""
        shape = real.shape[1:]
        f = lambda v: self.train_D(v.view(-1, *shape).contiguous(memory_format=self.memory_format))  # noqa: E731
        return self.constraint.penalty(f, real.flatten(1).float(), fake.flatten(1).float(), gen)

    def _d_value(self, out: torch.Tensor) -> torch.Tensor:
        """D(x) as a probability for the probabilistic objectives, else the critic's raw value."""
        return torch.sigmoid(out).mean() if self.objective.probabilistic else out.mean()

    def _steps(self, k: int) -> dict:
        self.G.train()
        self.D.train()
        gp = isinstance(self.constraint, lipschitz.GradientPenalty)
        return self._loop(k, self._one_step, ("loss_d", "loss_g", "d_real", "d_fake") + (("gp",) if gp else ()))

    def _one_step(self, sums: dict, graphed: bool) -> None:
        """One G update after d_steps D updates (note 001's Algorithm 1), its numbers added to
        `sums`. Graphed, it is captured: gradients are zeroed in place, and no host sync."""
        G, obj = self.train_G, self.objective
        real_of, noise_of, gen = self.sources(graphed)
        # update D: minimise d_loss(D(x), D(G(z))) (+ the penalty), d_steps times
        for i in range(self.d_steps):
            real = real_of()
            with self.autocast():
                # only the last D step's fake batch is reused by G: no graph for the others
                with torch.set_grad_enabled(i == self.d_steps - 1):
                    fake = G(noise_of(self.batch))
                loss_d, total, out_r, out_f, _ = d_objective(self._d, obj, self.constraint, real, fake.detach(),
                                                             joint=self.joint, penalty=False)
            pen = self._penalty(real, fake.detach(), gen)
            if pen is not None:
                total = total + pen
                sums["gp"] += pen.detach()
            self.opt_d.zero_grad(set_to_none=not graphed)
            self.scaler_d.scale(total).backward()
            self.scaler_d.step(self.opt_d)
            self.scaler_d.update()
            self.constraint.after_step(self.D)
        sums["loss_d"] += loss_d.detach()
        sums["d_real"] += self._d_value(out_r.detach())
        sums["d_fake"] += self._d_value(out_f.detach())
        # update G: minimise mean g_loss(D(G(z))), reusing the last fake batch as
        # pytorch/examples does (one generator forward per step)
        with self.autocast():
            loss = g_loss(self._d, obj, fake)
        self.opt_g.zero_grad(set_to_none=not graphed)
        self.scaler_g.scale(loss).backward()
        self.scaler_g.step(self.opt_g)
        self.scaler_g.update()
        sums["loss_g"] += loss.detach()

    def advance(self, k: int) -> dict:
        """k generator updates (each after d_steps D updates): mean losses, D(x), D(G(z)), images/s."""
        return self._timed(self._steps, k)

    @torch.no_grad()
    def sample(self, z: torch.Tensor | None = None) -> torch.Tensor:
        """Images in [-1, 1], float32 on the CPU, from G in eval mode (batch norm's running stats)."""
        z = self.fixed_z if z is None else z.to(self.device)
        with evaluating(self.G), self.autocast():
            x = self.G(z)
        return x.float().cpu()

    def state_dict(self) -> dict:
        return {"G": self.G.state_dict(), "D": self.D.state_dict(), "opt_g": self.opt_g.state_dict(),
                "opt_d": self.opt_d.state_dict(), "scaler_g": self.scaler_g.state_dict(),
                "scaler_d": self.scaler_d.state_dict(), **self._stream_state()}

    def load_state_dict(self, s: dict) -> None:
        self.G.load_state_dict(s["G"])
        self.D.load_state_dict(s["D"])
        self.opt_g.load_state_dict(s["opt_g"])
        self.opt_d.load_state_dict(s["opt_d"])
        self.scaler_g.load_state_dict(s["scaler_g"])
        self.scaler_d.load_state_dict(s["scaler_d"])
        self._load_stream_state(s)


class VAETrainer(_Base):
    def __init__(self, data: ImageData, latent: int = 16, width: int = 32, batch: int = 64, lr: float = 1e-3,
                 beta: float = 1.0, seed: int = 0, device: torch.device | None = None,
                 precision: str | None = None, cuda_graphs: str = "auto"):
        super().__init__(data, batch, seed, device or torch.device("cpu"), latent, precision, cuda_graphs)
        size = data.images.shape[-1]
        self.vae: nn.Module = build_seeded(seed, lambda: ConvVAE(latent, data.channels, size, width))
        self.vae.to(self.device, memory_format=self.memory_format)
        self.opt = make_optimizer("adam", self.vae.parameters(), lr, (0.9, 0.999), self.graphed)
        self.scaler = self._scaler()
        self.beta = beta
        self.train_vae = distributed.wrap(self.vae, self.device)
        self.images_per_step = batch * distributed.world_size()

    def retune(self, lr: float, beta: float) -> None:
        set_lr(self.opt, lr)
        self.beta = beta
        self._regraph()

    def _steps(self, k: int) -> dict:
        self.vae.train()
        return self._loop(k, self._one_step, ("loss", "recon", "kl"))

    def _one_step(self, sums: dict, graphed: bool) -> None:
        real_of, _, gen = self.sources(graphed)
        x = (real_of() + 1) / 2                              # [0, 1] pixels
        with self.autocast():
            parts = self.train_vae(x, gen, self.beta)
        self.opt.zero_grad(set_to_none=not graphed)
        self.scaler.scale(parts["loss"]).backward()
        self.scaler.step(self.opt)
        self.scaler.update()
        for n in sums:
            sums[n] += parts[n].detach()

    def advance(self, k: int) -> dict:
        """k updates of -ELBO_beta: mean loss, reconstruction, KL (nats per image), images/s."""
        return self._timed(self._steps, k)

    @torch.no_grad()
    def sample(self, z: torch.Tensor | None = None) -> torch.Tensor:
        """Decoded means mapped to [-1, 1] (the GAN's convention), float32 on the CPU."""
        z = self.fixed_z if z is None else z.to(self.device)
        with evaluating(self.vae), self.autocast():
            x = self.vae.decode(z)
        return (2 * x.float() - 1).cpu()

    @torch.no_grad()
    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """x in [-1, 1] -> posterior mean and log-variance (float32, CPU), encoder in eval mode."""
        with evaluating(self.vae), self.autocast():
            mu, logvar = self.vae.encode((x.to(self.device).float() + 1) / 2)
        return mu.float().cpu(), logvar.float().cpu()

    @torch.no_grad()
    def reconstruct(self, x: torch.Tensor) -> torch.Tensor:
        """x in [-1, 1] -> decoded posterior means in [-1, 1] (CPU)."""
        return self.sample(self.encode(x)[0])

    def state_dict(self) -> dict:
        return {"vae": self.vae.state_dict(), "opt": self.opt.state_dict(), "scaler": self.scaler.state_dict(),
                **self._stream_state()}

    def load_state_dict(self, s: dict) -> None:
        self.vae.load_state_dict(s["vae"])
        self.opt.load_state_dict(s["opt"])
        self.scaler.load_state_dict(s["scaler"])
        self._load_stream_state(s)
