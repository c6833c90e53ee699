"""Skills and certifications found in free text or delimited lists (data/reference/skills.yaml).

One regular expression per dictionary entry (its name and aliases) runs as a Polars string
expression, vectorised in Rust rather than a Python loop per text, over the distinct PIECES of
the texts (texts cut at punctuation; see "pieces" below for why the answer is the same as on
whole texts); `extract_skills` answers per distinct text, `skills_per_row` per row. Matches
respect word boundaries: a match may not touch a letter, digit, "_", "+", "#" or "&" ("R" is not
found in "R&D", "Rust" or "for"; "Excel" not in "excellent"; "Spark" not in "sparkling"; "C++"
is found in "C++,"). Entries marked `case_sensitive` match their canonical name with its case
("R", "Go", "SAS") and their aliases in any case; `not_before` drops a match followed by an
ordinary word ("Go to the site"), `not_after` one preceded by what makes it another word
("you excel in", "A/R" for accounts receivable). A one-letter case-sensitive name is a person's
initial before another capital with its own full stop ("R. J. Reynolds") and the registered-
trademark sign in parentheses glued to a word ("PMP(R)"). Spaces in a name match runs of
spaces, hyphens or en / em dashes ("Power-BI", "Machine Learning – Specialty").

Certifications and skills: named skills are matched only on the text left after every
certification span (any alias) is blanked out, so a skill is never read off a certification's
words ("AWS Machine Learning Specialty" is the certification, not the AWS skill); a skill named
separately ("AWS and AWS ML Specialty") is still found in the remainder. By default a certification
therefore does not imply a skill: the premium regression then estimates a certification's premium
over and above the skills named beside it. `extract_skills(..., certifications_imply_skills=True)`
adds the skills a certification's names contain ("Certified Kubernetes Administrator" ->
Kubernetes; read from the dictionary by `implied_skills`, not listed by hand).
"""
from __future__ import annotations

import re
from functools import lru_cache

import numpy as np
import polars as pl
import pyarrow as pa

from transforms.reference import Reference, SkillEntry

_LEFT = r"(?:^|[^\w+#&])"
_RIGHT = r"(?:$|[^\w+#&])"
_SPACE = r"[\s\-\u2013\u2014]+"  # a space in a name: runs of spaces, hyphens, en or em dashes


def _name_pattern(name: str, case_sensitive: bool = False) -> str:
    """A name as a regex: spaces match runs of spaces, hyphens or en / em dashes ("Power-BI",
    "Machine Learning – Specialty"), case-insensitive unless asked."""
    escaped = re.escape(name).replace(r"\ ", _SPACE)
    return escaped if case_sensitive else f"(?i:{escaped})"


def _alternation(entry: SkillEntry) -> str:
    names = sorted({entry.skill, *entry.aliases}, key=len, reverse=True)
    parts = [_name_pattern(name, entry.case_sensitive and name == entry.skill) for name in names]
    return "(?:" + "|".join(parts) + ")"


def _prefix_pattern(prefix: str) -> str:
    """A `not_after` entry as a regex: a word ("to") followed by spaces or hyphens, else the
    characters as written, right before the name ("A/" of "A/R")."""
    escaped = re.escape(prefix)
    return escaped + r"[\s\-]+" if prefix[-1:].isalnum() else escaped


@lru_cache(maxsize=8)
def skill_patterns(ref: Reference) -> tuple[tuple[SkillEntry, str, str | None], ...]:
    """(entry, match pattern, exclusion pattern or None) per dictionary entry.

    An entry with `not_before` matches its name with the next word when only spaces or hyphens
    separate them, and a match whose next word is listed is dropped ("Go to", "Go-live"; not
    "in Go. The team", where a sentence ends). An entry with `not_after` also matches its name with
    a listed prefix right before it, and such a match is dropped ("you excel", "A/R"); the regex
    finds the leftmost match, so the prefix form wins where it applies. A one-letter case-sensitive
    name followed by a full stop and another capital letter with its own full stop is a person's
    initial ("R. J. Reynolds", "R.J."; "analysis in R. A team" keeps R), and in parentheses glued to
    a word it is the registered-trademark sign ("PMP(R)"; "languages (R)" keeps R)."""
    out = []
    for entry in ref.skills:
        alt = _alternation(entry)
        left, right, exclusions = _LEFT, _RIGHT, []
        # the canonical name written in lower case, case-sensitively: "excel", not "Excel" or "ms excel"
        lower = re.escape(entry.skill.lower()).replace(r"\ ", _SPACE)
        if entry.not_after or entry.not_after_in_lower_case:
            prefixes = "|".join(_prefix_pattern(p) for p in (*entry.not_after, *entry.not_after_in_lower_case))
            left = rf"(?:(?:^|[^\w+#&])(?i:{prefixes})|{_LEFT})"
        if entry.not_after:
            prefixes = "|".join(_prefix_pattern(p) for p in entry.not_after)
            exclusions.append(rf"(?i)^[^\w+#&]?(?:{prefixes})")
        if entry.not_after_in_lower_case:
            prefixes = "|".join(_prefix_pattern(p) for p in entry.not_after_in_lower_case)
            exclusions.append(rf"^[^\w+#&]?(?i:{prefixes}){lower}(?:$|[^\w+#&])")
        initial = len(entry.skill) == 1 and entry.case_sensitive  # "R. J. Reynolds", "R.J.": a person's initial
        if initial:  # "Office(R)", "PMP(R)": the registered-trademark sign glued to a word; "languages (R)" keeps R
            left = rf"(?:[\w{_BLANK}]\(|{left})"  # or a blanked certification's: "PMP(R)"
            exclusions.append(rf"^[\w{_BLANK}]\(")
        if entry.not_before or entry.not_before_in_lower_case or initial:
            # the next word, and for an initial the full stop after it ("R. J." / "R. A team")
            right = r"(?:$|[^\w+#&][\s\-]*[^\W\d_]*" + (r"\.?)" if initial else ")")  # letters, accented too
        if entry.not_before:
            words = "|".join(re.escape(w) for w in entry.not_before)
            exclusions.append(rf"(?i)[\w+#&][\s\-]+(?:{words})\.?$")
        if entry.not_before_in_lower_case:
            words = "|".join(re.escape(w) for w in entry.not_before_in_lower_case)
            exclusions.append(rf"(?:^|[^\w+#&]){lower}[\s\-]+(?i:{words})\.?$")
        if initial:  # a capital letter with its own full stop: "R. J. Reynolds", "R.J."; not "in R. A team"
            exclusions.append(r"\.\s?[A-Z]\.$")
        exclusion = "|".join(f"(?:{e})" for e in exclusions) if exclusions else None
        out.append((entry, left + alt + right, exclusion))
    return tuple(out)


_BLANK = ";"  # what a consumed certification span becomes: a boundary, never part of a name


@lru_cache(maxsize=8)
def certification_span_pattern(ref: Reference) -> str | None:
    """One regex for every certification name and alias (longest first), with its boundary
    characters captured so that they survive the replacement: groups 1 and 2."""
    names = sorted({n for e in ref.skills if e.kind == "certification" for n in (e.skill, *e.aliases)},
                   key=len, reverse=True)
    if not names:
        return None
    alt = "(?:" + "|".join(_name_pattern(n) for n in names) + ")"
    return "(^|[^\\w+#&])" + alt + "($|[^\\w+#&])"


def _consume_certifications(text: pl.Expr, pattern: str | None) -> pl.Expr:
    """Text with every certification span replaced by a boundary. Run twice: a match consumes
    the boundary character after it, so of two adjacent names ("CKA, PMP") the second is only
    found on the second pass."""
    if pattern is None:
        return text
    replacement = "${1}" + _BLANK + "${2}"
    return text.str.replace_all(pattern, replacement).str.replace_all(pattern, replacement)


@lru_cache(maxsize=8)
def implied_skills(ref: Reference) -> dict[str, tuple[str, ...]]:
    """Certification -> skills named in its canonical name or any alias (sorted; may be empty).

    Read with the same skill patterns as free text, so the dictionary stays the single source."""
    certs = [e for e in ref.skills if e.kind == "certification"]
    if not certs:
        return {}
    names = pl.DataFrame({"cert": [e.skill for e in certs for _ in (e.skill, *e.aliases)],
                          "text": [n for e in certs for n in (e.skill, *e.aliases)]})
    skill_entries = [(entry, pattern, exclusion) for entry, pattern, exclusion in skill_patterns(ref)
                     if entry.kind == "skill"]
    found = names.lazy().with_columns(
        [pl.when(_has(pattern, exclusion)).then(pl.lit(entry.skill)).otherwise(pl.lit(None, dtype=pl.String))
         .alias(f"__{i}") for i, (entry, pattern, exclusion) in enumerate(skill_entries)]
    ).select(
        "cert",
        pl.concat_list([pl.col(f"__{i}") for i in range(len(skill_entries))]).alias("skills"),
    ).explode("skills").drop_nulls("skills").group_by("cert").agg(
        pl.col("skills").unique().sort().alias("skills")
    ).collect()
    by_cert = dict(zip(found["cert"].to_list(), found["skills"].to_list()))
    return {e.skill: tuple(by_cert.get(e.skill) or ()) for e in certs}


def _has(entry_pattern: str, exclusion: str | None, column: str = "text") -> pl.Expr:
    text = pl.col(column)
    if exclusion is None:
        return text.str.contains(entry_pattern)
    return (
        text.str.extract_all(entry_pattern)
        .list.eval(pl.element().str.contains(exclusion).not_())
        .list.any()
        .fill_null(False)
    )


def extract_skills_every_entry(values: pl.Series, ref: Reference, *,
                               certifications_imply_skills: bool = False) -> pl.DataFrame:
    """`extract_skills` computed directly: every entry's regex on every whole distinct text.

    The reference that `extract_skills` (regexes on distinct pieces) must equal; tests compare
    the two. Slower: 38 regex passes over every text."""
    patterns = skill_patterns(ref)
    implied = implied_skills(ref) if certifications_imply_skills else {}
    distinct = pl.DataFrame({"text": values.cast(pl.String).unique().sort(nulls_last=True)})
    remainder = _consume_certifications(pl.col("text"), certification_span_pattern(ref)).alias("__rest")
    flags = [
        pl.when(_has(pattern, exclusion, "text" if entry.kind == "certification" else "__rest"))
        .then(pl.lit(entry.skill)).otherwise(pl.lit(None, dtype=pl.String))
        .alias(f"__{i}")
        for i, (entry, pattern, exclusion) in enumerate(patterns)
    ]
    kinds = [entry.kind for entry, _, _ in patterns]
    # per found certification, the list of skills it implies (empty list when it is not found)
    implied_lists = [
        pl.when(pl.col(f"__{i}").is_not_null())
        .then(pl.lit(list(implied[entry.skill]), dtype=pl.List(pl.String)))
        .otherwise(pl.lit([], dtype=pl.List(pl.String)))
        .alias(f"__implied_{i}")
        for i, (entry, _, _) in enumerate(patterns)
        if entry.kind == "certification" and implied.get(entry.skill)
    ]

    def collect(kind: str) -> pl.Expr:
        cols = [pl.col(f"__{i}") for i, k in enumerate(kinds) if k == kind]
        if kind == "skill":
            cols += [pl.col(e.meta.output_name()) for e in implied_lists]
        if not cols:
            return pl.lit([], dtype=pl.List(pl.String)).alias(f"{kind}s")
        return pl.concat_list(cols).list.drop_nulls().list.unique().list.sort().alias(
            "skills" if kind == "skill" else "certifications")

    return (
        distinct.lazy()
        .with_columns(remainder)
        .with_columns(flags)
        .with_columns(implied_lists)
        .select("text", collect("skill"), collect("certification"))
        .sort("text", nulls_last=True)
        .collect()
    )


# --- pieces: the same answer from the distinct pieces of the texts ---------------------------
# Texts are nearly all distinct (job descriptions, skill lists in a new order on every row), but
# they are made of few distinct pieces: cut at punctuation such as "," ";" "." they repeat
# ("Python", " Tech stack: dbt", "GCP ML Engineer certification"). An entry without `not_before`
# or `not_after` is a regex LEFT name RIGHT whose name part cannot hold a break character and whose boundaries
# accept one (a break is not a word character, not "+#&", not whitespace or "-", and in no
# dictionary name), so it matches a text exactly when it matches one of the text's pieces:
# a boundary that was the break is the piece's start or end. The regexes therefore run once per
# distinct piece and the answers are OR-ed per text. Two steps stay on whole texts, where a
# piece could answer differently: blanking the certification spans (skills are matched on what
# is left, computed on whole texts for the texts that name a certification), and the
# `not_before` / `not_after` checks, which read what follows or precedes a match: such an entry
# runs its exact test on the whole texts where its plain form matched a piece (the plain form
# matches wherever the exact one does).
# `extract_skills_every_entry` (every regex on every whole text) is the reference; tests compare.
PIECE_BREAKS = ",.;:!?()[]{}|"


@lru_cache(maxsize=8)
def piece_breaks(ref: Reference) -> str:
    """The PIECE_BREAKS characters that appear in no dictionary name."""
    used = {ch for entry in ref.skills for name in (entry.skill, *entry.aliases) for ch in name}
    return "".join(ch for ch in PIECE_BREAKS if ch not in used)


def _pieces(frame: pl.DataFrame, column: str, breaks: str) -> pl.DataFrame:
    """(__idx, __piece): `column` cut at every break character, one row per piece."""
    text = pl.col(column)
    if not breaks:
        return frame.select("__idx", text.alias("__piece"))
    if len(breaks) > 1:
        text = text.str.replace_many(list(breaks[1:]), [breaks[0]] * (len(breaks) - 1))
    return frame.select("__idx", text.str.split(breaks[0]).alias("__piece")).explode("__piece")


def _piece_hits(pieces: pl.DataFrame, indexes: list[int], plain: list[str]) -> pl.DataFrame:
    """(__idx, __entry) for each entry of `indexes` whose plain regex matches a piece of the text."""
    distinct = pieces.select(pl.col("__piece").unique())
    per_piece = pl.concat([
        distinct.filter(pl.col("__piece").str.contains(plain[index])).with_columns(
            pl.lit(index, dtype=pl.Int32).alias("__entry"))
        for index in indexes
    ] or [pl.DataFrame(schema={"__piece": pl.String, "__entry": pl.Int32})])
    return pieces.join(per_piece, on="__piece", how="inner").select("__idx", "__entry")


def extract_skills(values: pl.Series, ref: Reference, *, certifications_imply_skills: bool = False) -> pl.DataFrame:
    """One row per distinct text: skills and certifications (canonical names, sorted, unique).

    Certifications are matched on the text as given; skills on the text with certification spans
    blanked, plus (by default) the skills each found certification implies (`implied_skills`).
    Same answer as `extract_skills_every_entry`, computed on distinct pieces (see above)."""
    distinct = values.cast(pl.String).unique().sort(nulls_last=True).alias("text")
    found = skills_per_row(distinct, ref, certifications_imply_skills=certifications_imply_skills)
    return pl.concat([distinct.to_frame(), found], how="horizontal")


def skills_per_row(values: pl.Series, ref: Reference, *, certifications_imply_skills: bool = False) -> pl.DataFrame:
    """`extract_skills` row by row: skills and certifications of each value, in input order
    (null -> empty lists). For columns of nearly distinct texts, where finding the distinct
    values and joining the answers back costs more than it saves; repeated pieces are still
    matched once."""
    patterns = skill_patterns(ref)
    plain = [_LEFT + _alternation(entry) + _RIGHT for entry, _, _ in patterns]
    certs = [i for i, (entry, _, _) in enumerate(patterns) if entry.kind == "certification"]
    skills = [i for i, (entry, _, _) in enumerate(patterns) if entry.kind != "certification"]
    breaks = piece_breaks(ref)
    distinct = pl.DataFrame({"text": values.cast(pl.String)}).with_row_index("__idx")
    texts = distinct.drop_nulls("text")
    # every entry on the pieces of the text as given: certifications are matched there, and so
    # are skills for the texts where no certification matched (nothing is blanked in those)
    on_text = _piece_hits(_pieces(texts, "text", breaks), certs + skills, plain)
    is_cert = pl.col("__entry").is_in(certs)
    named = on_text.filter(is_cert).select("__idx").unique()
    hits = [on_text.filter(is_cert), on_text.filter(~is_cert).join(named, on="__idx", how="anti")]
    blanked = pl.DataFrame(schema={"__idx": pl.UInt32, "__rest": pl.String})
    if skills and named.height:
        # where a certification matched, skills are matched on the text with its spans blanked
        # (whole texts, once per distinct text)
        to_blank = texts.join(named, on="__idx", how="semi")
        rests = to_blank.select(pl.col("text").unique()).with_columns(
            _consume_certifications(pl.col("text"), certification_span_pattern(ref)).alias("__rest"))
        blanked = to_blank.join(rests, on="text", how="left").select("__idx", "__rest")
        hits.append(_piece_hits(_pieces(blanked, "__rest", breaks), skills, plain))
    found = pl.concat(hits)
    # entries with `not_before` or `not_after`: the exact test on the whole texts where the plain form matched
    for index, (entry, pattern, exclusion) in enumerate(patterns):
        if exclusion is None:
            continue
        if entry.kind == "certification":
            column, source = "text", texts
        else:
            column = "__rest"
            unblanked = texts.join(blanked, on="__idx", how="anti").select("__idx", pl.col("text").alias(column))
            source = pl.concat([unblanked, blanked])
        is_entry = pl.col("__entry") == index
        candidates = source.join(found.filter(is_entry), on="__idx", how="semi")
        exact = candidates.filter(_has(pattern, exclusion, column)).select(
            "__idx", pl.lit(index, dtype=pl.Int32).alias("__entry"))
        found = pl.concat([found.filter(~is_entry), exact])
    # lists: sorted, unique canonical names per text. Each (text, name) is one UInt64 key,
    # text index * vocabulary size + the name's rank in sorted order, so that one integer
    # unique + sort orders every list (Python sorts str by code point, Polars by UTF-8 bytes:
    # the same order)
    implied = implied_skills(ref) if certifications_imply_skills else {}
    by_kind: dict[str, list[tuple[int, str]]] = {"skill": [], "certification": []}
    for index, (entry, _, _) in enumerate(patterns):
        by_kind["certification" if entry.kind == "certification" else "skill"].append((index, entry.skill))
        if entry.kind == "certification":
            by_kind["skill"] += [(index, name) for name in implied.get(entry.skill, ())]

    def lists(kind: str, alias: str) -> pl.Series:
        """The sorted keys of one kind, as one list per row: offsets from the counts per row."""
        vocabulary = sorted({name for _, name in by_kind[kind]})
        size = max(len(vocabulary), 1)
        ranks = pl.DataFrame({"__entry": [index for index, _ in by_kind[kind]],
                              "__rank": [vocabulary.index(name) for _, name in by_kind[kind]]},
                             schema={"__entry": pl.Int32, "__rank": pl.UInt64})
        keys = (found.join(ranks, on="__entry", how="inner")
                .select((pl.col("__idx").cast(pl.UInt64) * size + pl.col("__rank")).alias("__key"))
                .get_column("__key").sort())
        keys = keys.filter(keys.ne_missing(keys.shift(1)))  # sorted: drop repeats
        rows = (keys // size).to_numpy()
        offsets = np.concatenate([[0], np.cumsum(np.bincount(rows, minlength=distinct.height))]).astype(np.int64)
        names = pl.Series(vocabulary, dtype=pl.String).gather(keys % size).to_arrow()
        return pl.Series(alias, pa.LargeListArray.from_arrays(pa.array(offsets), names), dtype=pl.List(pl.String))

    return pl.DataFrame([lists("skill", "skills"), lists("certification", "certifications")])
