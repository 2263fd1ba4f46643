"""select: the branch-free numpy.where must give exactly numpy.where's result, bit for bit."""
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from minigan.autograd.select import select

DTYPES = [np.float32, np.float64, np.float16, np.int32, np.int64, np.uint8, np.bool_]


def _same_bits(got, expected):
    got, expected = np.asarray(got), np.asarray(expected)
    assert got.dtype == expected.dtype and got.shape == expected.shape
    return np.array_equal(got.view(f"u{got.dtype.itemsize}"), expected.view(f"u{expected.dtype.itemsize}"))


@settings(max_examples=60, deadline=None)
@given(data=st.data(), dtype=st.sampled_from(DTYPES))
def test_select_is_numpy_where_bit_for_bit_under_broadcasting(data, dtype):
    shapes = data.draw(hnp.mutually_broadcastable_shapes(num_shapes=3, min_dims=0, max_dims=4, max_side=5))
    condition_shape, a_shape, b_shape = shapes.input_shapes
    elements = {"allow_nan": True, "allow_infinity": True} if np.dtype(dtype).kind == "f" else None
    a = data.draw(hnp.arrays(dtype, a_shape, elements=elements))
    b = data.draw(hnp.arrays(dtype, b_shape, elements=elements))
    condition = data.draw(hnp.arrays(np.bool_, condition_shape))
    assert _same_bits(select(condition, a, b), np.where(condition, a, b))


def test_select_keeps_nan_infinity_and_negative_zero():
    a = np.array([np.nan, np.inf, -0.0, 1.0], np.float32)
    b = np.array([-np.inf, 2.0, 0.0, np.nan], np.float32)
    condition = np.array([True, False, True, False])
    assert _same_bits(select(condition, a, b), np.array([np.nan, 2.0, -0.0, np.nan], np.float32))


def test_select_promotes_mixed_dtypes_and_takes_non_contiguous_arrays():
    a = np.arange(12, dtype=np.float32).reshape(3, 4).T          # a transposed view
    b = np.float64(-1.5)
    condition = a > 5
    assert _same_bits(select(condition, a, b), np.where(condition, a, b))
