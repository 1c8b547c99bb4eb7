"""The ask pipeline: one explicit, typed sequence from a question to an :class:`~chatbi.Answer`.

::

    question ─► translate ─► resolve ─► compile ─► guard ─► execute ─► present ─► explain ─► record
                (Translation)  (Plan)   (CompiledQuery) (Checked) (DataFrame) (Presentation) (Explanation)

=========== ====================================== ===================================================
stage       module                                 does
=========== ====================================== ===================================================
translate   :mod:`~chatbi.pipeline.translate`      the scope's translator (offline, LLM or hybrid) reads
                                                   the question and the conversation's state
resolve     :mod:`~chatbi.pipeline.resolve`        decides what runs: a governed semantic query, SQL a
                                                   model wrote (``governed=False``) or a clarification
compile     :mod:`~chatbi.pipeline.compile`        the query becomes one sqlglot tree -- once per query
                                                   (a user's view compiles under their access policy)
guard       :mod:`~chatbi.pipeline.guard`          the tree (or SQL text) passes the SQL guard
execute     :mod:`~chatbi.pipeline.execute`        the checked SQL runs on the scope's engine
present     :mod:`~chatbi.pipeline.present`        chart recipe + one-line text (opt-in: a model words
                                                   it from the rows, ``share_data``)
explain     :mod:`~chatbi.pipeline.explain`        "why" questions only: the root-cause analysis
record      :class:`chatbi.Conversation`           the conversation remembers the turn (state only)
=========== ====================================== ===================================================

Only :mod:`chatbi.pipeline.core` strings the stages together and only it builds the answer,
once (``Answer`` is frozen; a surface derives variants with ``dataclasses.replace``). Each
stage returns a frozen record (:mod:`chatbi.pipeline.records`) or a
:class:`~chatbi.pipeline.records.Failure`, which ends the run as an ``error`` answer; nothing
raises past the pipeline. ``Answer.timings`` holds every stage that ran (``<stage>_ms``), a
language model's cost (``llm_*``) and ``total_ms``.

The pipeline runs for a :class:`~chatbi.pipeline.records.Scope` -- the ``ChatBI`` facade or one
user's view of it (``ChatBI.for_user``): the compiler's policy, the guard's allow-lists, the
engine's masking and the member index are the scope's, so the sequence is the same for
everyone. :class:`~chatbi.pipeline.records.AskOptions` switch the optional stages off
(``NUMBERS_ONLY``: no chart, text or analysis -- evaluation and alert thresholds).

Where new work slots in: a default period or a notice about what was assumed belongs to
``resolve`` (the ``Plan``); truncation notices to ``present``; a result cache keyed by SQL, policy
and data version to ``execute``; per-role SQL limits to the scope's guard.

>>> from chatbi import ChatBI                                        # doctest: +SKIP
>>> bi = ChatBI.sample()                                             # doctest: +SKIP
>>> sorted(bi.ask("为什么2025年11月广东的收入下降了？").timings)       # doctest: +SKIP
['compile_ms', 'execute_ms', 'explain_ms', 'guard_ms', 'present_ms', 'resolve_ms', 'total_ms', 'translate_ms']
"""

from __future__ import annotations

from .core import Pipeline
from .records import (
    NUMBERS_ONLY,
    AskOptions,
    Checked,
    Explanation,
    Failure,
    Guard,
    Plan,
    Presentation,
    Scope,
    Stopwatch,
)
from .translate import translation_context

__all__ = ["Pipeline", "AskOptions", "NUMBERS_ONLY", "Scope", "Guard", "Plan", "Checked", "Presentation",
           "Explanation", "Failure", "Stopwatch", "translation_context"]
