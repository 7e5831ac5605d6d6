"""One group of a VAE sweep: M VAEs of one structure trained as one batched model.

The batched twin of LatentVAERun's training loop, step for step: a minibatch drawn with
replacement, one reparameterised z per example, the loss -(recon - beta_t KL) averaged over the
batch, one Adam step (torch's defaults, as the single run). The member is a leading dimension
everywhere: encoder and decoder are lab.sweep.stacked.StackedMLP (the single run's nets are
plain lab.nets.mlp MLPs), the optimiser lab.sweep.optim.Adam with per-member rates. What may
differ between members is a number with one entry each (`HYPER`: lr, beta, warmup); what must
not (data set, latent size, width, depth, batch) defines the group (`structure`).

Random numbers. With member streams, member m owns torch.Generator(seed_m) and draws from it
what LatentVAERun draws from its `gen`, in its order: the minibatch indices, then the
reparameterisation noise eps (batch, latent). So a member *is* the single run of its config and
seed up to float rounding (tests/test_sweep_vae.py). The shared stream draws (M, ...) at once
on the device (a GPU's choice, lab.sweep.streams): members differ, but not as their single runs.

Evaluation follows lab.variational.evaluate: one z per example from a fresh
torch.Generator(EVAL_SEED), so every member is measured with the same eps, and a measurement
is the single run's number at that step. The plain autoencoder and PCA the single run trains
beside the VAE are not part of a sweep (they draw nothing, so the VAE's numbers do not depend
on them): open a member as a single run to see them.
"""
from __future__ import annotations

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from lab import variational as vae
from lab.device import build_seeded, generator
from lab.experiments.vae.run import EVAL_SEED
from lab.sweep import optim
from lab.sweep.generators import PerMember
from lab.sweep.stacked import StackedMLP

Tensor = torch.Tensor
HYPER = ("lr", "beta", "warmup")
ADAM_BETAS = (0.9, 0.999)          # torch.optim.Adam's defaults: the single run's optimiser
EVAL_CHUNK = 1000                  # lab.variational.evaluate's chunk: its z draws come in these pieces
EVAL_NUMBERS = 1 << 24             # activations per evaluation pass (members x examples x widest layer)
N_SAMPLES = 8                      # prior samples per member drawn in a sweep cell's figure
ACTIVE_VAR = 0.01                  # LatentVAERun's active-unit rule: Var_x E_q[z_j | x] > 0.01 (Burda et al.)
LOGVAR_BOUND = 8.0                 # lab.variational.VAE.encode's soft bound on log sigma^2


def structure(cfg) -> tuple:
    """What members of one group share: data set and every shape (batch is the minibatch's)."""
    return (cfg.data, cfg.latent, cfg.width, cfg.depth, cfg.batch)


class StackedVAE(nn.Module):
    """lab.variational.VAE for M members: encoder (M, n, n_in) -> (M, n, 2 latent), decoder
    (M, n, latent) -> (M, n, n_in), and for the Gaussian likelihood a (M, 1, n_in) log-variance.
    `members` (a slice) runs only those members on their rows, as StackedMLP."""

    def __init__(self, nets: list[vae.VAE]):
        super().__init__()
        self.likelihood, self.latent = nets[0].likelihood, nets[0].latent
        self.encoder = StackedMLP([n.encoder for n in nets], "relu")
        self.decoder = StackedMLP([n.decoder for n in nets], "relu")
        self.dec_logvar = (nn.Parameter(torch.stack([n.dec_logvar.detach()[None] for n in nets]))
                           if self.likelihood == "gaussian" else None)

    def params(self) -> list[Tensor]:
        extra = [self.dec_logvar] if self.dec_logvar is not None else []
        return self.encoder.params() + self.decoder.params() + extra

    def encode(self, x: Tensor, members: slice = slice(None)) -> tuple[Tensor, Tensor]:
        """(M, n, n_in) -> mu, logvar, each (M, n, latent), logvar softly bounded as VAE.encode."""
        mu, logvar = self.encoder(x, members).chunk(2, dim=-1)
        return mu, LOGVAR_BOUND * torch.tanh(logvar / LOGVAR_BOUND)

    def decode_mean(self, z: Tensor, members: slice = slice(None)) -> Tensor:
        out = self.decoder(z, members)
        return torch.sigmoid(out) if self.likelihood == "bernoulli" else out

    def log_px_given_z(self, x: Tensor, out: Tensor, members: slice = slice(None)) -> Tensor:
        """(M, n, n_in) -> (M, n): VAE.log_px_given_z per member."""
        if self.likelihood == "bernoulli":
            return -F.binary_cross_entropy_with_logits(out, x, reduction="none").sum(-1)
        return vae.log_normal_diag(x, out, self.dec_logvar[members].expand_as(out))

    def terms(self, x: Tensor, eps: Tensor, members: slice = slice(None)) -> dict[str, Tensor]:
        """lab.variational.elbo_terms with the noise given: (M, n) recon, kl, elbo and (M, n, latent) mu."""
        mu, logvar = self.encode(x, members)
        z = mu + (0.5 * logvar).exp() * eps                    # vae.reparameterise's arithmetic
        recon = self.log_px_given_z(x, self.decoder(z, members), members)
        kl = vae.kl_diag_gaussians(mu, logvar)
        return {"recon": recon, "kl": kl, "elbo": recon - kl, "mu": mu}

    @torch.no_grad()
    def member_state(self, m: int, net: vae.VAE) -> vae.VAE:
        """Copy member m into `net` (a lab.variational.VAE of the same shape)."""
        self.encoder.member_state(m, net.encoder)
        self.decoder.member_state(m, net.decoder)
        if self.dec_logvar is not None:
            net.dec_logvar.copy_(self.dec_logvar[m, 0])
        return net


# ---- random numbers ----------------------------------------------------------------------------
class MemberStreams(PerMember):
    """Member m draws from torch.Generator(seed_m) on the CPU what LatentVAERun draws from `gen`."""

    def draw(self, n: int, batch: int, latent: int) -> tuple[Tensor, Tensor]:
        """(M, batch) minibatch indices into n examples and (M, batch, latent) eps, each member's
        in its single run's order (indices, then the reparameterisation noise)."""
        idx, eps = [], []
        for g in self.gens:
            idx.append(torch.randint(n, (batch,), generator=g))
            eps.append(torch.randn(batch, latent, generator=g))
        return torch.stack(idx).to(self.device), torch.stack(eps).to(self.device)


class SharedStream:
    """One generator on the device draws every member's numbers at once."""

    def __init__(self, seed: int, members: int, device: torch.device):
        self.gen, self.m, self.device = generator(seed, device), members, device

    def draw(self, n: int, batch: int, latent: int) -> tuple[Tensor, Tensor]:
        idx = torch.randint(n, (self.m, batch), generator=self.gen, device=self.device)
        return idx, torch.randn(self.m, batch, latent, generator=self.gen, device=self.device)

    def state(self) -> list[Tensor]:
        return [self.gen.get_state()]

    def load(self, state: list[Tensor]) -> None:
        self.gen.set_state(state[0])


def eval_noise(n: int, latent: int) -> Tensor:
    """(n, latent): the eps lab.variational.evaluate draws for n examples from a fresh
    Generator(EVAL_SEED), chunk by chunk as it does (the same for every member and every look)."""
    g = generator(EVAL_SEED)
    return torch.cat([torch.zeros(0, latent)] + [torch.randn(min(EVAL_CHUNK, n - a), latent, generator=g)
                                                 for a in range(0, n, EVAL_CHUNK)])


# ---- one group -----------------------------------------------------------------------------------
class BatchedVAE:
    """`cfgs`: the members' LatentVAEConfigs (one structure); `data`: each member's data
    (lab.experiments.vae.data.load_data dicts; the same dict for members that share a data set);
    `streams`: "member" or "shared"."""

    def __init__(self, cfgs, data: list[dict], device: torch.device, streams: str = "member"):
        c = cfgs[0]
        if len({structure(x) for x in cfgs}) != 1:
            raise ValueError("a batched group needs members of one structure (lab.experiments.vae.batched.structure)")
        self.cfgs, self.device, self.m = list(cfgs), device, len(cfgs)
        self.latent, self.batch, self.step = c.latent, c.batch, 0
        # Data: one (N, n_in) tensor per distinct data set, `source[m]` the member's (two moons
        # depend on the seed; digits are one tensor for all).
        sets = list({id(d): d for d in data}.values())
        where = {id(d): i for i, d in enumerate(sets)}
        self.source = torch.tensor([where[id(d)] for d in data], device=device)
        self.x = torch.stack([d["x_train"] for d in sets]).to(device)              # (S, N, n_in)
        self.n_train, n_in = self.x.shape[1], self.x.shape[2]
        self.test_eval = torch.stack([d["x_test"][:c.n_eval] for d in sets]).to(device)   # (S, n, n_in)
        # LatentVAERun's train subset: randperm(N, Generator(seed + 5))[:n_eval] per member
        self.train_idx = torch.stack([torch.randperm(self.n_train, generator=generator(x.seed + 5))[:c.n_eval]
                                      for x in cfgs]).to(device)                    # (M, n)
        # The first N_SAMPLES of each member's fixed prior draws (LatentVAERun.fixed_z: the same
        # generator, after the train subset's permutation).
        fixed = []
        for x in cfgs:
            g = generator(x.seed + 5)
            torch.randperm(self.n_train, generator=g)
            fixed.append(torch.randn(64, c.latent, generator=g)[:N_SAMPLES])
        self.fixed_z = torch.stack(fixed).to(device)                                # (M, N_SAMPLES, latent)
        self.eps_test = eval_noise(self.test_eval.shape[1], c.latent).to(device)
        self.eps_train = eval_noise(self.train_idx.shape[1], c.latent).to(device)
        likelihood = "bernoulli" if data[0]["shape"] else "gaussian"
        self.model = StackedVAE([build_seeded(x.seed, lambda: vae.VAE(n_in, c.latent, c.width, c.depth, likelihood))
                                 for x in cfgs]).to(device)
        self._set_hyper(cfgs)
        self.opt = optim.Adam(self.model.params(), self.lr, *(torch.full((self.m,), b, dtype=torch.float64,
                                                                         device=device) for b in ADAM_BETAS))
        self.streams = (MemberStreams([x.seed for x in cfgs], device) if streams == "member"
                        else SharedStream(c.seed, self.m, device))
        self.sums = torch.zeros(3, self.m, dtype=torch.float64, device=device)    # elbo, recon, kl
        self.n_seen = 0

    def _set_hyper(self, cfgs) -> None:
        self.beta = np.asarray([c.beta for c in cfgs], dtype=np.float64)
        self.warmup = np.asarray([c.warmup for c in cfgs], dtype=np.int64)
        self.lr = torch.tensor([c.lr for c in cfgs], dtype=torch.float64, device=self.device)

    def retune(self, cfgs) -> None:
        """New live values (rate, beta, warm-up, batch); nets and Adam's moments untouched
        (LatentVAERun reads them at each use, the rate through Adam)."""
        self.cfgs, self.batch = list(cfgs), cfgs[0].batch
        self._set_hyper(cfgs)
        self.opt.lr = self.lr

    @torch.no_grad()
    def samples(self) -> np.ndarray:
        """(M, N_SAMPLES, n_in) decoder means at each member's fixed prior draws (a pure read)."""
        return self.model.decode_mean(self.fixed_z).cpu().numpy()

    def beta_now(self) -> np.ndarray:
        """(M,) beta_t of each member at this step (lab.variational.warmup_beta)."""
        return np.asarray([vae.warmup_beta(b, self.step, int(w)) for b, w in zip(self.beta, self.warmup)])

    def iterate(self) -> None:
        """One step of every member: maximise recon - beta_t KL on its own minibatch."""
        idx, eps = self.streams.draw(self.n_train, self.batch, self.latent)        # (M, B), (M, B, k)
        xb = self.x[self.source[:, None], idx]                                     # (M, B, n_in)
        t = self.model.terms(xb, eps)
        beta = torch.as_tensor(self.beta_now(), device=self.device).float()
        loss = -(t["recon"] - beta[:, None] * t["kl"]).mean(-1)                     # (M,)
        self.opt.step(torch.autograd.grad(loss.sum(), self.model.params()))
        self.step += 1
        with torch.no_grad():
            self.sums += torch.stack([t[k].sum(-1) for k in ("elbo", "recon", "kl")]).double()
        self.n_seen += self.batch

    # ---- measuring (pure, except take_train's reset) -----------------------------------------------
    @torch.no_grad()
    def evaluate(self, rows, n: int, eps: Tensor) -> dict[str, np.ndarray]:
        """Per member: mean elbo, recon, kl over its n evaluation rows at the fixed eps (n, latent)
        (lab.variational.evaluate), and its active units on them. `rows(part)` gives those
        members' (m, n, n_in) rows; members go in chunks, so M copies of a test set never exist."""
        per = max(1, EVAL_NUMBERS // max(1, n * max(self.x.shape[2], self.cfgs[0].width)))
        out = {k: [] for k in ("elbo", "recon", "kl", "active_units")}
        for a in range(0, self.m, per):
            part = slice(a, min(a + per, self.m))
            x = rows(part)
            t = self.model.terms(x, eps.expand(len(x), -1, -1), part)
            for k in ("elbo", "recon", "kl"):
                out[k].append(t[k].sum(-1).double().cpu() / max(n, 1))
            out["active_units"].append((t["mu"].var(1) > ACTIVE_VAR).sum(-1).double().cpu())
        return {k: torch.cat(v).numpy() for k, v in out.items()}

    def evaluate_test(self) -> dict[str, np.ndarray]:
        """elbo, recon, kl and active units on the test subset (LatentVAERun.metrics' test numbers)."""
        return self.evaluate(lambda part: self.test_eval[self.source[part]], self.test_eval.shape[1], self.eps_test)

    def take_train(self) -> dict[str, np.ndarray]:
        """(M,) train elbo, recon, kl as LatentVAERun logs them: the mean over the minibatches since
        the last call, or (none yet) its train subset evaluated; then the sums restart."""
        if self.n_seen == 0:
            t = self.evaluate(lambda part: self.x[self.source[part, None], self.train_idx[part]],
                              self.train_idx.shape[1], self.eps_train)
        else:
            t = dict(zip(("elbo", "recon", "kl"), (self.sums / self.n_seen).cpu().numpy()))
        self.sums.zero_()
        self.n_seen = 0
        return t

    # ---- state ---------------------------------------------------------------------------------------
    def state(self) -> dict:
        return {"model": self.model.state_dict(), "opt": self.opt.state_dict(), "streams": self.streams.state(),
                "step": self.step, "sums": self.sums.cpu(), "n_seen": self.n_seen}

    def load(self, state: dict) -> None:
        self.model.load_state_dict(state["model"])
        self.opt.load_state_dict(state["opt"])
        self.streams.load(state["streams"])
        self.step, self.n_seen = int(state["step"]), int(state["n_seen"])
        self.sums = state["sums"].to(self.device)
