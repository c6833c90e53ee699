"""Skills and certifications found in free text or delimited lists (data/reference/skills.yaml).

One regular expression per dictionary entry (its name and aliases) runs as a Polars string
expression over the DISTINCT texts, so the work is vectorised in Rust rather than a Python loop
per text; the caller joins back on `text`. Matches respect word boundaries: a match may not
touch a letter, digit, "_", "+", "#" or "&" ("R" is not found in "R&D", "Rust" or "for";
"Excel" not in "excellent"; "Spark" not in "sparkling"; "C++" is found in "C++,"). Entries marked
`case_sensitive` match their canonical name with its case ("R", "Go", "SAS") and their aliases
in any case; `not_before` drops a match followed by an ordinary word ("Go to the site").
"""
from __future__ import annotations

import re
from functools import lru_cache

import polars as pl

from transforms.reference import Reference, SkillEntry

_LEFT = r"(?:^|[^\w+#&])"
_RIGHT = r"(?:$|[^\w+#&])"


def _alternation(entry: SkillEntry) -> str:
    names = sorted({entry.skill, *entry.aliases}, key=len, reverse=True)
    parts = []
    for name in names:
        escaped = re.escape(name).replace(r"\ ", r"[\s\-]+")
        sensitive = entry.case_sensitive and name == entry.skill
        parts.append(escaped if sensitive else f"(?i:{escaped})")
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


def _has(entry_pattern: str, exclusion: str | None) -> pl.Expr:
    text = pl.col("text")
    if exclusion is None:
        return text.str.contains(entry_pattern)
    return (
        text.str.extract_all(entry_pattern)
        .list.eval(pl.element().str.contains(exclusion).not_())
        .list.any()
        .fill_null(False)
    )


def extract_skills(values: pl.Series, ref: Reference) -> pl.DataFrame:
    """One row per distinct text: skills and certifications (canonical names, sorted, unique)."""
    patterns = skill_patterns(ref)
    distinct = pl.DataFrame({"text": values.cast(pl.String).unique().sort(nulls_last=True)})
    flags = [
        pl.when(_has(pattern, exclusion)).then(pl.lit(entry.skill)).otherwise(pl.lit(None, dtype=pl.String))
        .alias(f"__{i}")
        for i, (entry, pattern, exclusion) in enumerate(patterns)
    ]
    kinds = [entry.kind for entry, _, _ in patterns]

    def collect(kind: str) -> pl.Expr:
        cols = [pl.col(f"__{i}") for i, k in enumerate(kinds) if k == kind]
        if not cols:
            return pl.lit([], dtype=pl.List(pl.String)).alias(f"{kind}s")
        return pl.concat_list(cols).list.drop_nulls().list.unique().list.sort().alias(
            "skills" if kind == "skill" else "certifications")

    return (
        distinct.lazy()
        .with_columns(flags)
        .select("text", collect("skill"), collect("certification"))
        .sort("text", nulls_last=True)
        .collect()
    )
