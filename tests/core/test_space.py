"""The search space: each parameter kind's encoding, round trips, decoding of arbitrary proposals,
the anonymous positional box, and problem.toml tables."""

from __future__ import annotations

import math

import pytest
import torch

from mfopt.data import Candidate
from mfopt.space import Categorical, Float, Int, SearchSpace

SPACE = SearchSpace(
    {
        "lr": Float(1e-5, 1e-1, log=True),
        "dropout": Float(0.0, 0.5),
        "layers": Int(1, 4),
        "batch": Int(16, 512, log=True),
        "kind": Categorical(("a", "b", "c")),
        "flag": Categorical((True, False)),
    }
)


def test_encoding_layout_and_box() -> None:
    assert SPACE.dim == 1 + 1 + 1 + 1 + 3 + 2
    assert SPACE.columns("kind") == slice(4, 7)
    lower, upper = SPACE.bounds.tolist()
    assert lower[:4] == pytest.approx([math.log(1e-5), 0.0, 0.5, math.log(15.5)])
    assert upper[:4] == pytest.approx([math.log(1e-1), 0.5, 4.5, math.log(512.5)])
    assert lower[4:] == [0.0] * 5 and upper[4:] == [1.0] * 5
    x = SPACE.encode({"lr": 1e-3, "dropout": 0.25, "layers": 3, "batch": 64, "kind": "b", "flag": False})
    assert x.tolist() == pytest.approx([math.log(1e-3), 0.25, 3.0, math.log(64), 0, 1, 0, 0, 1])


@pytest.mark.parametrize(
    "params",
    [
        {"lr": 1e-5, "dropout": 0.0, "layers": 1, "batch": 16, "kind": "a", "flag": True},
        {"lr": 1e-1, "dropout": 0.5, "layers": 4, "batch": 512, "kind": "c", "flag": False},
        {"lr": 3.7e-4, "dropout": 0.123456789, "layers": 2, "batch": 100, "kind": "b", "flag": True},
        {"lr": 0.012345678912, "dropout": 1 / 3, "layers": 3, "batch": 17, "kind": "a", "flag": False},
    ],
)
def test_decode_of_encode_is_identity_for_every_kind(params: dict[str, object]) -> None:
    back = SPACE.decode(SPACE.encode(params))
    assert back == params
    assert [type(v) for v in back.values()] == [type(v) for v in params.values()]


def test_any_proposal_decodes_to_valid_values_and_snap_is_idempotent() -> None:
    gen = torch.Generator().manual_seed(0)
    lower, upper = SPACE.bounds
    span = upper - lower
    for _ in range(200):  # points inside the box and up to 20% outside it
        x = lower - 0.2 * span + 1.4 * span * torch.rand(SPACE.dim, generator=gen, dtype=torch.float64)
        p = SPACE.decode(x)
        assert 1e-5 <= p["lr"] <= 1e-1 and 0.0 <= p["dropout"] <= 0.5
        assert isinstance(p["layers"], int) and 1 <= p["layers"] <= 4
        assert isinstance(p["batch"], int) and 16 <= p["batch"] <= 512
        assert p["kind"] in ("a", "b", "c") and p["flag"] in (True, False)
        assert SPACE.decode(SPACE.encode(p)) == p
        snapped = SPACE.snap(x)
        assert torch.equal(SPACE.snap(snapped), snapped)


def test_rounding_and_argmax() -> None:
    space = SearchSpace({"n": Int(1, 4), "k": Categorical(("a", "b", "c"))})
    assert space.decode([2.49, 0.2, 0.9, 0.4]) == {"n": 2, "k": "b"}
    assert space.decode([2.5, 0.7, 0.7, 0.1]) == {"n": 3, "k": "a"}  # half rounds up; a tie takes the first
    assert space.decode([9.0, 0.0, 0.0, 0.3]) == {"n": 4, "k": "c"}  # clipped


def test_log_scale_is_linear_in_log_space() -> None:
    space = SearchSpace({"lr": Float(1e-4, 1e-0, log=True)})
    mid = space.bounds.mean(dim=0)
    assert space.decode(mid)["lr"] == pytest.approx(1e-2)


def test_complete_candidate_gets_canonical_x_and_params() -> None:
    space = SearchSpace({"n": Int(1, 4), "k": Categorical(("a", "b"))})
    c = space.complete(Candidate((2.7, 0.1, 0.6), "high", 5, 2))
    assert c.x == (3.0, 0.0, 1.0) and c.params == {"n": 3, "k": "b"} and (c.id, c.iteration) == (5, 2)


def test_positional_box_is_an_anonymous_float_space_with_identity_encoding() -> None:
    space = SearchSpace.from_bounds([[0.0, -5.0], [1.0, 5.0]])
    assert space.names == ["x0", "x1"] and space.dim == 2
    assert torch.equal(space.bounds, torch.tensor([[0.0, -5.0], [1.0, 5.0]], dtype=torch.float64))
    assert space.encode({"x0": 0.25, "x1": -1.5}).tolist() == [0.25, -1.5]
    assert space.decode([0.25, -1.5]) == {"x0": 0.25, "x1": -1.5}


def test_config_tables_round_trip() -> None:
    tables = {
        "lr": {"type": "float", "low": 1e-5, "high": 1e-1, "log": True},
        "layers": {"type": "int", "low": 1, "high": 4},
        "kind": {"type": "categorical", "choices": ["a", "b"]},
    }
    space = SearchSpace.from_config(tables)
    assert space == SearchSpace({"lr": Float(1e-5, 1e-1, True), "layers": Int(1, 4), "kind": Categorical(("a", "b"))})
    assert SearchSpace.from_config(space.to_config()) == space


@pytest.mark.parametrize(
    ("tables", "message"),
    [
        ({"lr": {"type": "float", "low": 0.0, "high": 1.0, "log": True}}, "parameters.lr: a log-scale float needs"),
        ({"n": {"type": "int", "low": 1.5, "high": 4}}, "parameters.n: low must be an integer"),
        ({"n": {"type": "int", "low": 4, "high": 1}}, "parameters.n: low = 4 must be below high = 1"),
        ({"k": {"type": "categorical", "choices": ["a", "a"]}}, "parameters.k: choices must be distinct"),
        ({"k": {"type": "categorical", "choices": []}}, "parameters.k: choices must be a non-empty array"),
        ({"k": {"type": "cat", "choices": ["a"]}}, "parameters.k: type must be one of"),
        ({"x": {"type": "float", "low": 0, "high": 1, "step": 2}}, "parameters.x: unknown keys ['step']"),
        ({"x": {"type": "float", "low": 0}}, "parameters.x: a float parameter needs ['high']"),
        ({"x": {"type": "float", "low": 0, "high": 1, "log": "yes"}}, "parameters.x: log must be true or false"),
    ],
)
def test_bad_tables_name_the_parameter(tables: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match="^" + message.replace("[", r"\[").replace("]", r"\]")):
        SearchSpace.from_config(tables)


def test_encode_rejects_bad_values_naming_the_parameter() -> None:
    space = SearchSpace({"n": Int(1, 4), "k": Categorical((1, "1", True))})
    with pytest.raises(ValueError, match=r"missing \['k'\], unknown \['z'\]"):
        space.encode({"n": 1, "z": 0})
    with pytest.raises(ValueError, match="parameter 'n': 5 is outside"):
        space.encode({"n": 5, "k": 1})
    with pytest.raises(ValueError, match="parameter 'n': the value must be an integer"):
        space.encode({"n": 2.5, "k": 1})
    assert space.encode({"n": 1, "k": True}).tolist()[1:] == [0, 0, 1]  # True is not 1
    assert space.encode({"n": 1, "k": "1"}).tolist()[1:] == [0, 1, 0]
    with pytest.raises(ValueError, match="cannot decode a non-finite"):
        space.decode([float("nan"), 0, 0, 1])
