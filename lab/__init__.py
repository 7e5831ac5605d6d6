"""GenLab's core: distributions, networks, objectives, Lipschitz constraints, divergences,
experiments (config + steppable run) and figures. No Streamlit here: pages depend on lab,
never the other way."""
