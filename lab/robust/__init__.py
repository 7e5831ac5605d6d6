"""Robust mean estimation under Huber contamination (note 002; Gao, Liu, Yao, Zhu, ICLR 2019):
the contamination model, classical robust estimators, GANs as robust estimators, sweeps."""
