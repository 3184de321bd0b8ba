#!/usr/bin/python3
"""Reference test vector for the scatter28-v1 feature transform (core/features/scattering.ts),
written from the specification in docs/api.md with numpy only (Debian's python3-numpy):

    /usr/bin/python3 test/core/features/make-scatter28-vector.py > test/core/features/scatter28-vector.json

Two deterministic 28x28 inputs (no dataset needed) and their 1001 features in float64.
"""
import json
import numpy as np

N = 32
s = np.array([i if i < 16 else i - 32 for i in range(N)], dtype=np.float64)
U, V = np.meshgrid(s, s, indexing="ij")  # U: row offset (down), V: column offset (right)


def morlet(j, l):
    sigma, xi, theta, slant = 0.8 * 2**j, 0.75 * np.pi / 2**j, l * np.pi / 8, 0.5
    along = V * np.cos(theta) + U * np.sin(theta)
    across = -V * np.sin(theta) + U * np.cos(theta)
    g = np.exp(-(along**2 + slant**2 * across**2) / (2 * sigma**2))
    wave = g * np.exp(1j * xi * along)
    kappa = wave.sum() / g.sum()
    return (wave - kappa * g) / (2 * np.pi * sigma**2 / slant)


def conv(a, b):
    return np.fft.ifft2(np.fft.fft2(a) * np.fft.fft2(b))


def pool(m, sigma, positions):
    phi = np.exp(-(U**2 + V**2) / (2 * sigma**2))
    phi /= phi.sum()
    full = np.real(conv(m, phi))
    return full[np.ix_(positions, positions)].reshape(-1)


def scatter28(image):
    canvas = np.zeros((N, N))
    canvas[2:30, 2:30] = np.asarray(image, dtype=np.float64).reshape(28, 28)
    first = {(j, l): np.abs(conv(canvas, morlet(j, l))) for j in range(2) for l in range(8)}
    low = [canvas] + [first[j, l] for j in range(2) for l in range(8)]
    second = [np.abs(conv(first[0, l1], morlet(1, l2))) for l1 in range(8) for l2 in range(8)]
    a = np.stack([pool(m, 2.5, [5, 10, 16, 21, 26]) for m in low])  # 17 x 25
    b = np.stack([pool(m, 4.5, [7, 16, 25]) for m in second])  # 64 x 9
    a = (a - a.mean(axis=1, keepdims=True)) / (a.std(axis=1, keepdims=True) + 1e-5)
    b = b.reshape(16, 4 * 9)
    b = (b - b.mean(axis=1, keepdims=True)) / (b.std(axis=1, keepdims=True) + 1e-5)
    return np.concatenate([a.reshape(-1), b.reshape(-1)])


rows, cols = np.meshgrid(np.arange(28), np.arange(28), indexing="ij")
stripes = ((3 * rows + 5 * cols) % 17) / 16.0
ring = np.clip(1.0 - np.abs(np.hypot(rows - 13.5, (cols - 13.5) * 1.4) - 8.0) / 2.5, 0.0, 1.0)
vectors = []
for name, image in [("stripes", stripes), ("ring", ring)]:
    pixels = [round(float(v), 6) for v in image.reshape(-1)]
    vectors.append({"name": name, "image": pixels, "features": scatter28(pixels).tolist()})
print(json.dumps({"transform": "scatter28-v1", "generator": "test/core/features/make-scatter28-vector.py (numpy " + np.__version__ + ")", "vectors": vectors}))
