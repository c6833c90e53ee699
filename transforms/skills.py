"""Skills and certifications found in free text or delimited lists (data/reference/skills.yaml).

One regular expression per dictionary entry (its name and aliases) runs as a Polars string
expression over the DISTINCT texts, so the work is vectorised in Rust rather than a Python loop
per text; the caller joins back on `text`. Matches respect word boundaries: a match may not
touch a letter, digit, "_", "+", "#" or "&" ("R" is not found in "R&D", "Rust" or "for";
"Excel" not in "excellent"; "Spark" not in "sparkling"; "C++" is found in "C++,"). Entries marked
`case_sensitive` match their canonical name with its case ("R", "Go", "SAS") and their aliases
in any case; `not_before` drops a match followed by an ordinary word ("Go to the site").

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

import polars as pl

from transforms.reference import Reference, SkillEntry

_LEFT = r"(?:^|[^\w+#&])"
_RIGHT = r"(?:$|[^\w+#&])"


def _name_pattern(name: str, case_sensitive: bool = False) -> str:
    """A name as a regex: spaces match runs of spaces or hyphens ("Power-BI"), case-insensitive
    unless asked."""
    escaped = re.escape(name).replace(r"\ ", r"[\s\-]+")
    return escaped if case_sensitive else f"(?i:{escaped})"


def _alternation(entry: SkillEntry) -> str:
    names = sorted({entry.skill, *entry.aliases}, key=len, reverse=True)
    parts = [_name_pattern(name, entry.case_sensitive and name == entry.skill) for name in names]
    return "(?:" + "|".join(parts) + ")"


@lru_cache(maxsize=8)
def skill_patterns(ref: Reference) -> tuple[tuple[SkillEntry, str, str | None], ...]:
    """(entry, match pattern, exclusion pattern or None) per dictionary entry."""
    out = []
    for entry in ref.skills:
        alt = _alternation(entry)
        if entry.not_before:
            words = "|".join(re.escape(w) for w in entry.not_before)
            out.append((entry, _LEFT + alt + r"(?:$|[^\w+#&][\s\-]*[A-Za-z]*)", rf"(?i)[\s\-]+(?:{words})$"))
        else:
            out.append((entry, _LEFT + alt + _RIGHT, None))
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


def extract_skills(values: pl.Series, ref: Reference, *, certifications_imply_skills: bool = False) -> pl.DataFrame:
    """One row per distinct text: skills and certifications (canonical names, sorted, unique).

    Certifications are matched on the text as given; skills on the text with certification spans
    blanked, plus (by default) the skills each found certification implies (`implied_skills`)."""
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
