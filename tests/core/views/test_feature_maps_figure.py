"""The Draw page's feature-map grid: numbered tiles, a colour bar that says what colours mean."""

from __future__ import annotations

import numpy as np
import pytest

from cnn_core.views.figures import feature_maps_figure


def maps_of(count: int, side: int = 7) -> np.ndarray:
    rng = np.random.default_rng(count)
    maps = np.maximum(rng.normal(size=(side, side, count)), 0)
    maps[:, :, 1] *= 10  # one much stronger filter
    return maps


def tile(z: np.ndarray, index: int, side: int, columns: int) -> np.ndarray:
    gap = max(2, side // 3)
    top, left = (index // columns) * (side + gap), (index % columns) * (side + gap)
    return z[top:top + side, left:left + side]


@pytest.mark.parametrize("count", [5, 16, 32])
def test_every_map_is_a_numbered_tile_on_its_own_scale(count):
    maps = maps_of(count)
    fig = feature_maps_figure(maps, "conv_2")
    heat = fig.data[0]
    z, custom = np.asarray(heat.z, dtype=float), np.asarray(heat.customdata, dtype=float)
    columns = min(8, count)
    assert [a.text for a in fig.layout.annotations] == [str(c + 1) for c in range(count)]
    for c in range(count):
        own = maps[:, :, c]
        expected = (own - own.min()) / (own.max() - own.min())
        np.testing.assert_allclose(tile(z, c, 7, columns), expected)
        np.testing.assert_allclose(tile(custom[:, :, 3], c, 7, columns), own)  # raw on hover
        assert (tile(custom[:, :, 0], c, 7, columns) == c + 1).all()
    assert np.isnan(z).sum() == z.size - count * 49  # only the gaps are empty
    assert (heat.zmin, heat.zmax) == (0, 1)
    assert "strongest" in heat.colorbar.title.text and "conv_2" in heat.hovertemplate


def test_one_layer_scale_keeps_weak_maps_dark():
    maps = maps_of(16, side=14)
    heat = feature_maps_figure(maps, "pool_1", own_scale=False).data[0]
    z = np.asarray(heat.z, dtype=float)
    np.testing.assert_allclose(tile(z, 0, 14, 8), maps[:, :, 0])
    assert heat.zmax == pytest.approx(maps.max()) and "activation" in heat.colorbar.title.text
    assert np.nanmax(tile(z, 0, 14, 8)) < 0.5 * np.nanmax(tile(z, 1, 14, 8))


def test_a_flat_map_is_dark_and_a_wrong_shape_is_refused():
    maps = maps_of(4)
    maps[:, :, 2] = 0
    z = np.asarray(feature_maps_figure(maps, "conv_1").data[0].z, dtype=float)
    assert (tile(z, 2, 7, 4) == 0).all()
    with pytest.raises(ValueError, match="height, width, maps"):
        feature_maps_figure(np.zeros((7, 7)), "conv_1")
