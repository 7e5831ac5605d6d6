"""Several GPUs (or CPU processes) under torchrun: `torchrun --nproc_per_node=N -m lab run
image_gan ...` sets WORLD_SIZE, RANK and LOCAL_RANK; each process then trains a replica on its
own batches and DistributedDataParallel averages the gradients (NCCL on CUDA, gloo on a CPU).
Batch norm stays per replica (as in pytorch/examples under DDP); `batch` is per process."""
from __future__ import annotations

import os

import torch
from torch import nn


def world_size() -> int:
    return int(os.environ.get("WORLD_SIZE", "1"))


def rank() -> int:
    return int(os.environ.get("RANK", "0"))


def active() -> bool:
    return world_size() > 1


def setup(device: torch.device) -> None:
    """Join the process group once per process (torchrun provides the rendezvous address)."""
    import torch.distributed as dist
    if not active() or dist.is_initialized():
        return
    if device.type == "cuda":
        torch.cuda.set_device(device)
    dist.init_process_group(backend="nccl" if device.type == "cuda" else "gloo")


def teardown() -> None:
    """Leave the process group (once every rank has arrived): a process that exits inside one
    leaks its communicators, and NCCL warns of it at exit. Nothing to do in one process."""
    import torch.distributed as dist
    if dist.is_available() and dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()


def wrap(module: nn.Module, device: torch.device) -> nn.Module:
    """The module itself in one process; its DistributedDataParallel replica under torchrun
    (which broadcasts rank 0's weights, so all replicas start equal)."""
    if not active():
        return module
    from torch.nn.parallel import DistributedDataParallel
    ids = [device.index] if device.type == "cuda" else None
    return DistributedDataParallel(module, device_ids=ids)
