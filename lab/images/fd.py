"""A Fréchet distance between real and generated images on the features of a small classifier
trained in-project (note 004's FID, with the feature network swapped):

    FD = ||mu_r - mu_g||^2 + Tr(S_r + S_g - 2 (S_r S_g)^(1/2))

over the 128-d penultimate layer of a LeNet-style net (LeCun et al. 1998) trained to classify
the dataset's labels. It works offline, and is labelled "FD (GenLab features)": FID proper uses
Inception-v3's 2048-d pool features, so the numbers are NOT comparable with published FIDs.
The matrix square root and the running sums are torchmetrics' FrechetInceptionDistance, which
accepts a custom feature module.

The embedded digits' network ships in assets/ (330 KB, state_dict loaded with
weights_only=True); for the other labelled datasets it is trained once (~1 min on a CPU) and
cached. A folder of unlabelled images has no classes to learn, so no score is given for it.
"""
from __future__ import annotations

from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from lab.device import build_seeded, generator
from lab.data.images import ImageData

LABEL = "FD (GenLab features)"
ASSETS = Path(__file__).resolve().parents[2] / "assets"
N_FEATURES = 128


class LeNet(nn.Module):
    """(n, C, s, s) in [-1, 1], s = 28 (grey) or 32 (colour) -> 10 logits; `features` gives the
    (n, 128) penultimate activations."""

    def __init__(self, channels: int = 1):
        super().__init__()
        self.channels = channels
        self.in_size = 28 if channels == 1 else 32
        self.body = nn.Sequential(
            nn.Conv2d(channels, 16, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),   # (n, 16, s/2, s/2)
            nn.Conv2d(16, 32, 5), nn.ReLU(), nn.AdaptiveMaxPool2d(4),             # (n, 32, 4, 4)
            nn.Flatten(), nn.Linear(512, N_FEATURES), nn.ReLU())
        self.head = nn.Linear(N_FEATURES, 10)

    def prepare(self, x: torch.Tensor) -> torch.Tensor:
        """Any size and channel count -> this net's input (bilinear resize, grey <-> RGB)."""
        if x.shape[1] != self.channels:
            x = x.mean(1, keepdim=True) if self.channels == 1 else x.expand(-1, 3, -1, -1)
        if x.shape[-1] != self.in_size:
            x = F.interpolate(x, size=(self.in_size, self.in_size), mode="bilinear", antialias=True,
                              align_corners=False)
        return x

    def features(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(self.prepare(x.float()))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))


class Features(nn.Module):
    """The module torchmetrics calls: images -> (n, 128). Never leaves eval mode."""
    num_features = N_FEATURES

    def __init__(self, net: LeNet):
        super().__init__()
        self.net = net.eval()

    def train(self, mode: bool = True):
        return super().train(False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net.features(x)


def train_classifier(data: ImageData, channels: int | None = None, steps: int = 800, batch: int = 128,
                     seed: int = 0) -> LeNet:
    """Adam 1e-3 on cross-entropy, batches drawn with a seeded generator; CPU float32.
    (assets/fd_digits.pt is this with the embedded digits' train split, seed 0.)"""
    net = build_seeded(seed, lambda: LeNet(channels or data.channels))
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    gen = generator(seed)
    images, labels = data.images.cpu(), data.labels.cpu()
    x_all = net.prepare(images.float() / 127.5 - 1)          # resized / channel-matched once
    net.train()
    for _ in range(steps):
        idx = torch.randint(len(images), (batch,), generator=gen)
        x = x_all[idx]
        loss = F.cross_entropy(net(x), labels[idx])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    return net.eval()


@torch.no_grad()
def accuracy(net: LeNet, data: ImageData) -> float:
    x = data.images.cpu().float() / 127.5 - 1
    pred = torch.cat([net(c).argmax(1) for c in x.split(500)])
    return float((pred == data.labels.cpu()).float().mean())


GREY_SOURCES = ("digits", "mnist", "fashion")


def weights_path(name: str, channels: int) -> Path:
    """Where a trained classifier is cached (the app's cache folder; assets/ is never written)."""
    from lab.data.download import default_cache
    return default_cache() / "fd" / f"{name}_{channels}ch.pt"


def feature_net(data: ImageData) -> LeNet | None:
    """The dataset's classifier: the shipped one for the digits, else loaded from the cache
    (weights_only=True), else trained and cached. Grey sources keep a grey classifier even when
    trained in RGB (LeNet.prepare averages the channels). None for data without labels."""
    if data.labels is None:
        return None
    channels = 1 if data.name in GREY_SOURCES else data.channels
    cache = weights_path(data.name, channels)
    for path in ([ASSETS / "fd_digits.pt"] if data.name == "digits" else []) + [cache]:
        if path.is_file():
            net = LeNet(channels)
            try:
                net.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
                return net.eval()
            except Exception:  # a damaged file is retrained rather than trusted
                pass
    net = train_classifier(data, channels)
    cache.parent.mkdir(parents=True, exist_ok=True)
    tmp = cache.with_suffix(".tmp")
    torch.save(net.state_dict(), tmp)
    tmp.replace(cache)
    return net


class FrechetScore:
    """Real statistics computed once; `score(fake)` resets only the fake side."""
    label = LABEL

    def __init__(self, net: nn.Module, real: torch.Tensor, device: torch.device | str = "cpu"):
        """`net`: a LeNet (its 128-d features), or any module with `num_features` that maps
        images in [-1, 1] to features (lab.images.inception for true FID)."""
        from torchmetrics.image.fid import FrechetInceptionDistance
        self.device = torch.device(device)
        features = Features(net) if isinstance(net, LeNet) else net
        self.metric = FrechetInceptionDistance(feature=features, normalize=True,
                                               reset_real_features=False).to(self.device)
        self._update(real, True)
        self.n_real = len(real)

    @torch.no_grad()
    def _update(self, images: torch.Tensor, real: bool) -> None:
        for chunk in images.split(500):
            self.metric.update(chunk.to(self.device).float(), real=real)

    def score(self, fake: torch.Tensor) -> float:
        """fake: (n, C, H, W) in [-1, 1], n >= 2 (>= a few hundred for a stable number)."""
        self.metric.reset()
        self._update(fake, False)
        return float(self.metric.compute())
