"""Where tensors live and how runs are made repeatable."""
from __future__ import annotations

import atexit
import importlib
import threading
import time

import torch


def pick_device(prefer: str = "auto") -> torch.device:
    """CUDA if present, else Apple MPS, else CPU. `prefer` may force one ("cpu", "cuda", "mps")."""
    if prefer == "cuda" or (prefer == "auto" and torch.cuda.is_available()):
        if not torch.cuda.is_available():
            raise RuntimeError("device=cuda was asked for, but this machine has no CUDA GPU; use device=auto or cpu")
        return torch.device("cuda")
    mps = getattr(torch.backends, "mps", None)
    if prefer == "mps" or (prefer == "auto" and mps is not None and mps.is_available()):
        if mps is None or not mps.is_available():
            raise RuntimeError("device=mps was asked for, but this machine has no Apple GPU; use device=auto or cpu")
        return torch.device("mps")
    return torch.device("cpu")


def describe(device: torch.device | None = None) -> str:
    """One line for the sidebar: which device and, for a GPU, its name."""
    device = device or pick_device()
    if device.type == "cuda":
        return f"CUDA GPU: {torch.cuda.get_device_name(device)}"
    if device.type == "mps":
        return "Apple GPU (MPS)"
    return f"CPU ({torch.get_num_threads()} thread{'s' if torch.get_num_threads() != 1 else ''})"


def generator(seed: int, device: torch.device | str = "cpu") -> torch.Generator:
    """A private random stream: runs never touch the global RNG, so two runs side by side
    (the page's A/B, many critics at once) do not perturb each other."""
    g = torch.Generator(device=device)
    g.manual_seed(int(seed))
    return g


def build_seeded(seed: int, make):
    """Call `make()` with the global RNG seeded (nn layers initialise from it), then restore the
    global stream so that nobody else's randomness is disturbed."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(int(seed))
        return make()


def small_net_threads() -> None:
    """Tiny MLPs run fastest on one thread: with two threads under load a ring GAN fell from
    ~120 to 9-30 steps/s here (oversubscription: two threads per net on two busy cores). OpenMP's count belongs to the
    calling thread and every Streamlit run or fragment tick may be a fresh thread, while
    get_num_threads() can already read 1 there: so set it unconditionally, every time."""
    torch.set_num_threads(1)


_warming: threading.Thread | None = None


def warm_up(modules: tuple[str, ...] = ("torch._dynamo",), delay: float = 2.0) -> threading.Thread:
    """Import, on a daemon thread, what the first training step will need, once per process.
    torch.optim's first call imports all of torch._dynamo (sympy, fsdp: ~1 s on a 2-core
    machine); started after the first page is drawn, that happens while the student reads
    it instead of before anything shows. `delay` leaves the CPU to the browser while it draws
    that page. A step that comes sooner simply waits on Python's import lock for the same
    module, so the order of events never matters."""
    global _warming
    if _warming is None:
        def run() -> None:
            time.sleep(delay)
            for name in modules:
                importlib.import_module(name)
        _warming = threading.Thread(target=run, name="genlab-warm-up", daemon=True)
        _warming.start()
        # A daemon thread halfway through importing torch._dynamo at interpreter teardown can
        # abort the process; at exit, let the import finish (about a second) first.
        atexit.register(_warming.join, timeout=30.0)
    return _warming
