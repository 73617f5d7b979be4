"""Which matrix product the Tanimoto search uses on this CPU (``product_kind``).

int8 products (``torch._int_mm``) are fast with VNNI and ~20x slower than float32 on an
AVX2 CPU without it; a fixed choice made screening with the shipped panel about 5x slower on
such CPUs. The similarities are the same whichever kind runs (tests/test_speed_review_s13.py).
"""

from __future__ import annotations

import logging

import pytest
import torch

from drugscreen.featurizers import fingerprints as fpmod


@pytest.fixture(autouse=True)
def fresh_choice(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv(fpmod.PRODUCTS_ENV, raising=False)
    fpmod.product_kind.cache_clear()
    yield
    fpmod.product_kind.cache_clear()


def test_without_avx512_float32_is_used_and_nothing_is_timed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(torch.backends.cpu, "get_cpu_capability", lambda: "AVX2")
    monkeypatch.setattr(fpmod, "_probe_seconds", lambda kinds: pytest.fail("timed without AVX-512"))
    assert fpmod.product_kind() == "f32"
    assert fpmod.TanimotoReference([[1, 0, 1]]).kind == "f32"


@pytest.mark.parametrize("times, expected", [
    ({"f32": 3e-3, "bf16": 2e-3, "int8": 1e-3}, "int8"),
    ({"f32": 1e-3, "bf16": 2e-3, "int8": 9e-3}, "f32"),
    ({"f32": 3e-3, "bf16": 1e-3}, "bf16"),
])
def test_with_avx512_the_fastest_timed_kind_is_used(monkeypatch: pytest.MonkeyPatch, times: dict, expected: str) -> None:
    monkeypatch.setattr(torch.backends.cpu, "get_cpu_capability", lambda: "AVX512")
    asked: list[list[str]] = []

    def probe(kinds: list[str]) -> dict[str, float]:
        asked.append(kinds)
        return {k: v for k, v in times.items() if k in kinds}

    monkeypatch.setattr(fpmod, "_probe_seconds", probe)
    assert fpmod.product_kind() == expected
    assert fpmod.product_kind() == expected and len(asked) == 1  # timed once per process
    assert set(asked[0]) >= {"f32", "bf16"}


def test_the_probe_times_every_kind_this_torch_has_and_drops_a_slow_one() -> None:
    kinds = ["f32", "bf16"] + (["int8"] if fpmod._int8_products() else [])
    times = fpmod._probe_seconds(kinds, rounds=2)
    assert set(times) == set(kinds)
    assert all(0 < t < 1 for t in times.values())


def test_the_environment_variable_fixes_the_kind(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fpmod, "_probe_seconds", lambda kinds: pytest.fail("timed although fixed"))
    monkeypatch.setenv(fpmod.PRODUCTS_ENV, " BF16 ")
    assert fpmod.product_kind() == "bf16"


def test_an_unknown_kind_in_the_environment_is_named_and_ignored(monkeypatch: pytest.MonkeyPatch,
                                                                 caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setattr(torch.backends.cpu, "get_cpu_capability", lambda: "AVX2")
    monkeypatch.setenv(fpmod.PRODUCTS_ENV, "int4")
    with caplog.at_level(logging.WARNING, logger="drugscreen.featurizers.fingerprints"):
        assert fpmod.product_kind() == "f32"
    assert f"{fpmod.PRODUCTS_ENV}=int4 ignored" in caplog.text
