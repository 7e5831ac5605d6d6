"""Every data set behind one door.

Toy sets share one signature (the tensorflow/playground lesson): `sample(n, generator) -> (n, d)`
float32 tensor, drawn from the caller's torch.Generator so runs never touch the global stream:
1-D / 2-D Gaussian mixtures (`mixtures`), rings, grids, a spiral, two moons and the user's CSV
points (`toy2d`), Huber's contamination model (`huber`), the parallel lines (`lines`).
Images come through `images.load` (embedded digits, MNIST / Fashion-MNIST IDX files, CIFAR-10,
a folder or zip of the user's images) as uint8 (N, C, size, size); `digits`, `idx`, `cifar`,
`archive` and `download` are the readers behind it.
"""
