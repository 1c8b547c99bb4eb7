"""A scan's unknown Chinese words read through dictionary glosses (``glossary.py``), in place.

``scan`` calls :func:`read_glosses` last, once the lexicon, the typo corrector and the grammar have
read what they can: what is still unknown and Chinese is looked up, and each stretch becomes model
tokens (metric, dimension, member, an ambiguous ``fragment``, or a ``qualifier`` -- the things of a
member glued before it) only when the glossary reads all of it; otherwise it stays unknown and is asked.
"""

from __future__ import annotations

from dataclasses import replace

from .glossary import Reading, gloss_index
from .lexicon import Lexicon, Target
from .normalize import is_cjk
from .tokens import Scan, Token

__all__ = ["read_glosses"]


def read_glosses(result: Scan, lexicon: Lexicon) -> None:
    """Chinese words the lexicon left unknown, read through the dictionary's English glosses
    (glossary.py): replaced only when every word of the stretch names one model element."""
    toks = result.tokens
    if not any(t.kind == "unknown" and is_cjk(t.name[:1]) for t in toks):
        return
    index = gloss_index(lexicon)
    text = result.norm.text
    covered = {i for t in toks for i in range(t.start, t.end)}
    out: list[Token] = []
    for k, tok in enumerate(toks):
        if tok.kind != "unknown" or text[tok.start:tok.end] != tok.name:
            out.append(tok)
            continue
        start = tok.start
        if start > 0 and start - 1 not in covered and text[start - 1] in lexicon.grammar.stopwords and \
                index.joins(text[start - 1:tok.end]):
            # the grammar took 里 / 日 as a word of its own, the dictionary makes 里昂 (Lyon) / 日产 of it:
            # the dictionary's word is read (日产... then reads as nothing: a daily rate, not the total)
            start -= 1
        end = tok.end
        readings = index.read(text[start:end])
        if readings is None and end < len(text) and end not in covered and text[end] in lexicon.grammar.stopwords \
                and (index.read(text[start:end + 1]) is not None or index.metrics_meant(text[start:end + 1])):
            # the grammar took 量 as a word of its own, the dictionary makes 重量 (weight) of it; read only
            # when the stretch alone reads as nothing (产气量 stays 产气 + 量)
            end += 1
            readings = index.read(text[start:end])
        meant = index.metrics_meant(text[start:end]) if readings is None else ()
        if meant:  # "重量": net or gross weight -- the translator asks which, with both as options
            word = text[start:end]
            out.append(Token(start, end, "fragment", word, meant, (Target("fragment", word, options=meant),),
                             False, result.norm.original(start, end)))
            continue
        if readings is None and start < tok.start:
            out.append(Token(start, end, "unknown", text[start:end], text=result.norm.original(start, end)))
            continue
        glued = [x for x in (toks[k - 1] if k else None, toks[k + 1] if k + 1 < len(toks) else None)
                 if x is not None and (x.end in (start, tok.start) or end == x.start)]
        guessed = {wrong for wrong, _ in result.corrections}
        holder = _holder(lexicon, toks, k, readings) if readings is not None else None
        if readings is not None and holder is not None:
            # a member glued to a thing that carries it ("Lyon depots"): the member's things, a qualifier
            # of the filter -- no breakdown
            dim = readings[0].elements[0][1]
            out.append(Token(start, end, "qualifier", dim, holder, (), False,
                             result.norm.original(start, end), readings[0].gloss))
            continue
        if readings is None or any(x.text in guessed for x in glued) or \
                (any(x.kind == "member" for x in glued) and any(r.elements[0][0] == "dimension"
                                                                  for r in readings if r.elements)):
            # any other member and thing glued: a breakdown or the member's things? A gloss beside a
            # corrected typo is a guess on a guess -- asked, never guessed
            out.append(tok)
            continue
        made: list[Token] = []
        suffix = index.count_suffix(text[end:])
        last = readings[-1]
        if suffix and last.direct and last.elements[0][0] == "dimension":
            counted = index.count_metric(last.elements[0][1])
            if counted is not None:  # "司机数": the number of drivers, the model's "Number of drivers"
                readings[-1] = replace(last, end=last.end + len(suffix), elements=(("metric", counted, ""),))
        if any(r.holder for r in readings) and k > 0 and toks[k - 1].kind == "kw" and toks[k - 1].name == "group":
            out.append(tok)  # "各里昂仓库": each of Lyon's depots, or them together? asked
            continue
        for r in readings:
            s, e = start + r.start, start + r.end
            if r.holder:
                made.append(Token(s, e, "qualifier", r.elements[0][1], r.holder, (), False,
                                  result.norm.original(s, e), r.gloss))
            elif r.direct:
                kind, name, value = r.elements[0]
                made.append(Token(s, e, kind, name, value or None, (Target(kind, name, value),), False,
                                  result.norm.original(s, e), r.gloss))
            elif r.quantity:  # 产 ("to produce") beside a summed metric's word: part of its name
                made.append(Token(s, e, "quantity", text=result.norm.original(s, e)))
        for i, t in enumerate(made):
            if t.kind != "quantity":
                continue
            j = next((x for x in (i + 1, i - 1) if 0 <= x < len(made) and made[x].kind == "metric"), None)
            if j is None:
                continue
            m = made[j]
            s, e = min(m.start, t.start), max(m.end, t.end)
            made[j] = Token(s, e, m.kind, m.name, m.value, m.targets, m.plural, result.norm.original(s, e), m.gloss)
        out.extend(t for t in made if t.kind != "quantity")
    result.tokens = sorted(out, key=lambda t: t.start)


def _holder(lexicon: Lexicon, toks: list[Token], k: int, readings: list[Reading]) -> str | None:
    """The member filter "dim = value" that the stretch ``toks[k]`` -- one thing read through a gloss,
    glued right after a member -- is the holder of: the thing's dimension sits in the member's table
    and is no level of the member's hierarchy (a region's cities are its breakdown, a vehicle type's
    drivers are the drivers who drive it), and no "each" comes before the member."""
    if k < 1 or len(readings) != 1 or not readings[0].direct or readings[0].elements[0][0] != "dimension":
        return None
    member = toks[k - 1]
    if member.kind != "member" or member.end != toks[k].start or len(member.targets) != 1:
        return None
    if k >= 2 and toks[k - 2].kind == "kw" and toks[k - 2].name == "group":
        return None  # "各<member><thing>": each of them
    if not gloss_index(lexicon).holds(member.name, readings[0].elements[0][1]):
        return None
    return f"{member.name} = {member.value}"
