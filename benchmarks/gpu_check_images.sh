#!/usr/bin/env bash
# Run from the repository root on a CUDA machine: bash benchmarks/gpu_check_images.sh
# (DEV=cpu PY=.venv/bin/python SIZE=28 B=16 W=8 STEPS=6 BENCH_ARGS="--steps 3 --rounds 1" BIG=64 for a dry run here).
# GPU check of the image path: the benchmark vs the pytorch/examples loop on
# CUDA, eager and with one CUDA graph per step (batch 256, 1024; WGAN-GP at 128), then CLI runs
# of each image recipe and the VAE (cuda_graphs=auto: graphed), and a resume (eager: a graphed
# run draws from the device's shared default generator, so two runs do not repeat each other).
set -x
PY=${PY:-python3}
DEV=${DEV:-cuda}
OUT=${OUT:-/tmp/gpuout}
mkdir -p $OUT
$PY -c "import torch; print(torch.__version__, torch.cuda.is_available(), torch.cuda.get_device_name() if torch.cuda.is_available() else '')"
$PY -m benchmarks.bench_images --device $DEV ${BENCH_ARGS} 2>&1 | tee $OUT/bench256.txt
$PY -m benchmarks.bench_images --device $DEV --batch ${BIG:-1024} --rounds 2 ${BENCH_ARGS} 2>&1 | tee $OUT/bench1024.txt
$PY -m benchmarks.bench_images --device $DEV --recipe wgan_gp --batch ${GPB:-128} --rounds 2 ${BENCH_ARGS} 2>&1 | tee $OUT/bench_wgan_gp.txt
for r in ns wgan_gp sngan; do
  /usr/bin/time -f "%e s wall" $PY -m lab run image_gan device=$DEV size=${SIZE:-64} batch=${B:-256} width=${W:-64} recipe=$r steps=${STEPS:-300} fd_every=0 fd_samples=1000 --out $OUT/gan_$r --quiet 2>&1 | tail -3
  $PY -c "import json,sys; d=json.load(open('$OUT/gan_$r/metrics.json')); m=d['metrics']; print('$r', {k: m[k] for k in m if k in ('steps','fd','images_per_sec','loss_d','loss_g')})"
done
/usr/bin/time -f "%e s wall" $PY -m lab run image_vae device=$DEV size=${SIZE:-64} batch=${B:-256} width=${W:-64} steps=${STEPS:-300} fd_every=0 --out $OUT/vae --quiet 2>&1 | tail -3
$PY -c "import json; d=json.load(open('$OUT/vae/metrics.json')); print('vae', d['metrics'])"
$PY - <<'PYEOF'
import os, torch, lab.run as R
from lab.experiments import get
exp = get("image_gan")
dev = os.environ.get("DEV", "cuda")
cfg = exp.config(device=dev, size=32, batch=64, width=16, steps=40, fd_samples=0, recipe="wgan_gp", cuda_graphs="off")
run = exp.make_run(cfg); run.advance(20)
back = R.load(run.state_bytes()); run.advance(20); back.advance(20)
diff = max(float((a - b).abs().max()) for a, b in zip(run.trainer.G.parameters(), back.trainer.G.parameters()))
print("resume on", dev, "step", back.step, "max |G diff| after 20 more steps:", diff)
s1, s2 = run.snapshot(), run.snapshot()
import numpy as np; print("snapshot pure:", np.array_equal(s1["samples"], s2["samples"]))
g = exp.make_run(exp.config(device=dev, size=32, batch=64, width=16, steps=40, fd_samples=0, recipe="wgan_gp"))
g.advance(20); back = R.load(g.state_bytes()); back.advance(20)
print("graphed:", g.trainer.graph_note, "| resumed:", back.trainer.graph_note, "steps", back.step, back.metrics())
PYEOF
