"""Replays the atheris corpus (python/fuzz/corpus) and every crash reproducer
(python/fuzz/artifacts) through the harness's ``one_input``, with the harness's oracle, so the
ordinary test command catches a regression without atheris (issue #17)."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest

from conftest import REPO

FUZZ = REPO / "python" / "fuzz"


def load_harness() -> ModuleType:
    spec = importlib.util.spec_from_file_location("fuzz_devtoken", FUZZ / "fuzz_devtoken.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


HARNESS = load_harness()
ONE_INPUT: Callable[[bytes], None] = HARNESS.one_input
CORPUS = sorted(path for path in (FUZZ / "corpus").iterdir() if path.is_file())
ARTIFACTS = sorted(path for path in (FUZZ / "artifacts").glob("crash-*") if path.is_file())


def test_the_corpus_and_the_reproducers_are_committed() -> None:
    assert len(CORPUS) >= 20, CORPUS
    assert ARTIFACTS, "the crash reproducers of python/fuzz/artifacts are gone"


def test_the_replay_needs_no_atheris() -> None:
    # atheris has no wheel for every Python the tests run on: the harness loads it only to fuzz.
    assert "atheris" not in sys.modules


@pytest.mark.parametrize("path", CORPUS, ids=lambda path: path.name)
def test_corpus_input_passes_the_oracle(path: Path) -> None:
    ONE_INPUT(path.read_bytes())


@pytest.mark.parametrize("path", ARTIFACTS, ids=lambda path: path.name)
def test_crash_reproducer_passes_the_oracle(path: Path) -> None:
    ONE_INPUT(path.read_bytes())


def test_the_seeds_from_the_vectors_pass_the_oracle() -> None:
    # The seed writer mirrors the harness's reader; a vector the harness cannot express fails here.
    seeds: list[bytes] = HARNESS.seeds()
    assert len(seeds) > 40
    for seed in seeds:
        ONE_INPUT(seed)
