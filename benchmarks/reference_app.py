"""The plain reference for the start-up benchmark: the least a Streamlit page with a Play
button, a Steps counter and two small Plotly charts costs, with no torch and no GenLab code.

    streamlit run benchmarks/reference_app.py   (bench_page_live.py starts it itself)

GenLab's page cannot start faster than this on the same machine and browser; what it takes
beyond it is torch's import and our own work.
"""
import numpy as np
import plotly.graph_objects as go
import streamlit as st

st.set_page_config(page_title="reference", layout="wide")
st.title("Reference: a bare Streamlit page with two Plotly charts")
st.button("Play", type="primary")
st.metric("Steps", "0")
x = np.linspace(-5, 5, 400)
st.plotly_chart(go.Figure([go.Scatter(x=x, y=np.exp(-x**2)), go.Scatter(x=x, y=np.exp(-(x - 1) ** 2))]), key="a")
st.plotly_chart(go.Figure([go.Scatter(x=x, y=np.sin(x))]), key="b")
