"""Evaluating generative models: the Inception Score, the Fréchet distance under distortions,
precision and recall, memorisation (note 004; Heusel et al. 2017; Kynkäänniemi et al. 2019), on
GenLab's own features. The prose is in evaluation.md beside this file."""
import hashlib

import pandas as pd
import streamlit as st

import ui
from lab.config import ConfigError
from lab.experiments.evaluation import EvaluationConfig as Config, EvaluationRun, figures as figs, sets
from lab.experiments.evaluation.config import SAMPLE_LABELS
from lab.experiments.evaluation.distortions import KINDS, LABELS
from lab.pool import Build

NS = "eval"
text, ss = ui.page_text(__file__), st.session_state
ui.opening(NS, "Evaluating generative models", text)

url = ui.config_from_url(Config, NS)
values = ui.config_widgets(Config, NS, url, groups=("Data", "Distortions", "Precision and recall"),
                           labels={"samples": SAMPLE_LABELS.get})
upload = st.sidebar.file_uploader("A run file of the image page (.pt)", type="pt", key=f"{NS}.upload",
                                  on_change=lambda: ss.update({f"{NS}.samples": "run"}),
                                  help="Its Weights button's file; read with torch.load(weights_only=True): a file "
                                       "holding code is refused. Without one, this session's image-page run is used.")
cfg = ui.build_config(Config, ui.widgets.merged(url, values))
if cfg is not None:
    ui.sync_url(cfg)


def judged(cfg: Config):
    """The generator's samples when samples=run (the uploaded file, else this session's image-page
    run), taken once per source, n and seed; (None, None) when there is neither."""
    if upload is not None:
        key, make = hashlib.sha1(upload.getvalue()).hexdigest(), lambda: sets.run_file(upload.getvalue(), cfg.n, cfg.seed)
    elif image_run := next(iter(ss.get("img.runs", {}).values()), None):
        key, make = f"session {id(image_run)}", lambda: sets.from_run(image_run, cfg.n, cfg.seed)
    else:
        return None, None
    if ss.get(f"{NS}.judged", (None,))[0] != (key, cfg.n, cfg.seed):
        ss[f"{NS}.judged"] = ((key, cfg.n, cfg.seed), make())
    return ss[f"{NS}.judged"][1], ss[f"{NS}.judged"][0]


generated = token = None
if cfg is not None and cfg.samples == "run":
    try:
        generated, token = judged(cfg)
    except ConfigError as err:               # CheckpointError: unsafe, junk, or another experiment's file
        st.error(ui.plain(err), icon=":material/error:")
        cfg = None
    if cfg is not None and generated is None:
        st.info("Upload a run file in the sidebar (the Image training page's Weights button), or train a model "
                "on that page first.", icon=":material/upload:")
        cfg = None

st.subheader("1. The Fréchet distance and IS under distortions (Heusel et al. 2017)")
controls = ui.transport(NS, default_k=6, max_k=77, step_label="Step (k points)")
# in a worker process of the pool when it is on (lab.pool), the judged samples sent with it
runs = ui.keep_runs(NS, None if cfg is None else {"eval": cfg}, lambda name, c: Build(EvaluationRun, c, generated),
                    controls.reset, token)
if not runs:
    st.stop()
run = runs["eval"]
if controls.step:
    ui.step_runs(runs, controls.steps_per_tick)
kind = st.selectbox("Show the images of", KINDS, format_func=LABELS.get, key=f"{NS}.kind")


def body(snaps: dict) -> None:
    snap = snaps["eval"]
    done = snap["step"]
    per = 1000 * snap["seconds"] / done if done else float("nan")
    numbers, figure = ui.lead_and_live()        # on a projector: the curves first, the numbers under them
    for col, (label, value) in zip(numbers.columns(3), (
            (f"Points (of {snap['total']})", f"{done}"), ("Computed in", f"{snap['seconds']:.1f} s"),
            ("Per point", "–" if done == 0 else f"{per:.0f} ms"))):
        col.metric(label, value)
    ui.chart(figs.curves(snap), key=f"{NS}.curves", where=figure)
    png = figs.examples_png(snap, kind)
    if png is not None:
        st.image(png, caption=f"{LABELS[kind]}: one row per strength computed (0 at the top)")


ui.live(NS, runs, body, k=controls.steps_per_tick, every=0.5, snapshot=lambda r: r.snapshot(static=False))
st.caption(text["Curves"])
snap = run.snapshot()
st.subheader("2. The Inception Score, and what it cannot see")
st.dataframe(pd.DataFrame(figs.table(snap)), hide_index=True, width="stretch")
st.caption(text["Table"])

st.subheader("3. The formula, checked")
g = snap["gaussians"]
for col, (label, value) in zip(st.columns(3), (("Closed form, power +1/2", g["closed"]),
                                               ("torchmetrics, same moments", g["from_moments"]),
                                               ("Note 004's power -1/2", g["note"]))):
    col.metric(label, f"{value:.4f}")
ui.chart(figs.gaussians(snap), key=f"{NS}.gauss")
st.caption(text["Gaussians"].format(error=g["error"], same=g["note_same"]))

st.subheader("4. Precision and recall (Kynkäänniemi et al. 2019)")
ui.chart(figs.toy(snap), key=f"{NS}.toy")
st.caption(text["Precision"])

st.subheader("5. Memorisation")
st.image(figs.memorisation_png(snap), caption="Top: the judged samples. Middle: the nearest training image in "
                                              "pixels. Bottom: in GenLab features.")
ui.chart(figs.memorisation(snap), key=f"{NS}.memo")
st.caption(text["Memorisation"])

latest = ui.latest(NS)
with st.expander("Export: figures, numbers, curves"):
    ui.downloads(NS, {"curves": lambda: figs.curves(latest.snaps["eval"]), "gaussians": lambda: figs.gaussians(snap),
                      "toy": lambda: figs.toy(snap), "memorisation": lambda: figs.memorisation(snap)}, run.metrics, stem="evaluation",
                 csv_rows=lambda: ui.rows_of({"eval": latest.snaps["eval"]["history"]}))
ui.things_to_try(text)
