"""Render, encode and sign artifacts on every core.

Workers are forked after the Jinja environment and the signer exist, so the
private key is loaded once per run and inherited, never re-read or pickled.
Results come back in submission order: output does not depend on scheduling.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor

import jinja2

from generator.plan.artifacts import ArtifactSpec
from generator.render.artifacts import EncodedArtifact
from generator.render.environment import render_artifact
from generator.signing.signer import Signer, encode_and_sign

# Below this many artifacts a fork costs more than it saves.
PARALLEL_THRESHOLD = 200

# Called in the worker with each signed artifact; returns what to send back
# (``staging`` writes the bytes there and returns only the hashes).
Sink = Callable[[EncodedArtifact], EncodedArtifact]

_inherited: (
    tuple[jinja2.Environment, Signer, Sequence[ArtifactSpec], Sink | None] | None
) = None


def _work(bounds: tuple[int, int]) -> tuple[EncodedArtifact, ...]:
    # Only index ranges cross the process boundary: specs hold unpicklable context.
    assert _inherited is not None  # noqa: S101 - set before the fork
    env, signer, specs, sink = _inherited
    start, stop = bounds
    # One artifact at a time, so its text is freed before the next is rendered.
    done: list[EncodedArtifact] = []
    for spec in specs[start:stop]:
        signed = encode_and_sign((render_artifact(env, spec),), signer)
        done.extend(signed if sink is None else map(sink, signed))
    return tuple(done)


def render_encode_sign(
    specs: Sequence[ArtifactSpec],
    env: jinja2.Environment,
    signer: Signer,
    jobs: int = 1,
    sink: Sink | None = None,
) -> tuple[EncodedArtifact, ...]:
    """Every artifact rendered, encoded and (if signable) signed, in ``specs`` order."""
    global _inherited
    _inherited = (env, signer, specs, sink)
    if jobs <= 1 or len(specs) < PARALLEL_THRESHOLD or os.name != "posix":
        return _work((0, len(specs)))
    chunk = max(1, len(specs) // (jobs * 4))
    chunks = [(i, min(i + chunk, len(specs))) for i in range(0, len(specs), chunk)]
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
        parts = list(pool.map(_hashes_of, chunks))
    done = []
    for (start, stop), part in zip(chunks, parts, strict=True):
        for spec, (unsigned, signed, data, digest, code) in zip(
            specs[start:stop], part, strict=True
        ):
            # Path, kind, template and server are the spec's (render_artifact
            # copies them), so only what the worker computed crosses back.
            done.append(
                EncodedArtifact(
                    spec.path,
                    spec.kind,
                    spec.template,
                    spec.server,
                    unsigned,
                    signed,
                    data,
                    digest,
                    code,
                )
            )
    return tuple(done)


# What a worker sends back for one artifact: plain values, cheap to pickle (a
# PurePosixPath or a slotted dataclass costs more to pickle than to sign a script's
# data block).
_Sent = tuple[str, bool, bytes, str, str]


def _hashes_of(bounds: tuple[int, int]) -> tuple[_Sent, ...]:
    return tuple(
        (art.unsigned_sha256, art.signed, art.data, art.sha256, art.code_sha256)
        for art in _work(bounds)
    )
