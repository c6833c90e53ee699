"""observations: posting dedupe, identical salary reports kept, outlier flags, row accounting."""
from __future__ import annotations

import math
from datetime import date
from statistics import median

import polars as pl
import pytest

from transforms.normalise import OBSERVATION_COLUMNS
from transforms.observations import AccountingError, build_observations, company_key, flag_outliers
from transforms.staging import REJECT_SCHEMA

SETTINGS = dict(outlier_rule_enabled=True, outlier_mad_threshold=3.5, posting_duplicate_window_days=7,
                posting_duplicate_pay_tolerance=0.05)


def obs(rows: list[dict]) -> pl.DataFrame:
    """Observation rows with defaults for the columns a test does not care about."""
    defaults = {"source_file": "f.csv", "kind": "job_posting", "role": "data_engineer", "role_name": "Data Engineer",
                "seniority": "Senior", "country_code": "US", "subdivision_code": "US-TX", "city": "Austin, Texas, United States",
                "company": "Acme", "year": 2024, "pay_annual_usd": 100_000.0}
    full = []
    for i, row in enumerate(rows, start=1):
        merged = {**defaults, "row_number": i, **row}
        merged.setdefault("record_id", f"{merged['source_file']}:{merged['row_number']}")
        full.append(merged)
    frame = pl.DataFrame(full)
    return frame.select([(pl.col(c) if c in frame.columns else pl.lit(None)).cast(t).alias(c)
                         for c, t in OBSERVATION_COLUMNS.items()])


def build(parts, rejects=(), read_counts=None, **overrides):
    read_counts = read_counts or {}
    return build_observations(list(parts), list(rejects), read_counts, None, **{**SETTINGS, **overrides})


def test_a_posting_cross_posted_on_another_board_within_the_window_is_a_duplicate_of_the_first():
    board_a = obs([{"source": "board_a", "posted_date": date(2024, 5, 1), "company": "Acme Inc.", "pay_annual_usd": 100_000.0}])
    board_b = obs([{"source": "board_b", "posted_date": date(2024, 5, 6), "company": "ACME, inc", "pay_annual_usd": 104_000.0}])
    built = build([board_a, board_b], read_counts={"board_a": 1, "board_b": 1})
    assert built.observations.get_column("source").to_list() == ["board_a"]
    assert built.duplicates.select("source", "record_id", "duplicate_of", "rule").rows() == [
        ("board_b", "f.csv:1", "f.csv:1", "cross_posted")]
    assert built.accounting.select("source", "rows_kept", "rows_duplicate").rows() == [("board_a", 1, 0), ("board_b", 0, 1)]


def test_the_same_posting_outside_the_window_or_with_different_pay_or_seniority_is_kept():
    first = {"source": "a", "posted_date": date(2024, 5, 1), "record_id": "first"}
    rows = [
        first,
        {"source": "b", "posted_date": date(2024, 5, 9), "record_id": "eight_days_later"},
        {"source": "b", "posted_date": date(2024, 5, 2), "record_id": "pay_6pct_higher", "pay_annual_usd": 106_000.0},
        {"source": "b", "posted_date": date(2024, 5, 2), "record_id": "other_seniority", "seniority": "Lead"},
        {"source": "b", "posted_date": date(2024, 5, 2), "record_id": "other_city", "city": "Dallas, Texas, United States"},
        {"source": "b", "posted_date": date(2024, 5, 2), "record_id": "no_company", "company": None},
        {"source": "b", "posted_date": None, "record_id": "no_date"},
    ]
    built = build([obs(rows)], read_counts={"a": 1, "b": 6})
    assert built.duplicates.height == 0
    assert sorted(built.observations.get_column("record_id").to_list()) == sorted(r["record_id"] for r in rows)


def test_postings_a_week_apart_on_the_seventh_day_still_match():
    rows = [{"source": "a", "posted_date": date(2024, 5, 1), "record_id": "x"},
            {"source": "a", "posted_date": date(2024, 5, 8), "record_id": "y", "pay_annual_usd": 95_000.0}]
    built = build([obs(rows)], read_counts={"a": 2})
    assert built.duplicates.select("record_id", "duplicate_of").rows() == [("y", "x")]


def test_each_later_posting_points_at_the_earliest_one_it_matches_in_a_deterministic_order():
    rows = [{"source": "b", "posted_date": date(2024, 5, 3), "record_id": "third"},
            {"source": "a", "posted_date": date(2024, 5, 1), "record_id": "first"},
            {"source": "c", "posted_date": date(2024, 5, 1), "record_id": "second"}]
    built = build([obs(rows)], read_counts={"a": 1, "b": 1, "c": 1})
    assert built.observations.get_column("record_id").to_list() == ["first"]
    assert sorted(built.duplicates.select("record_id", "duplicate_of").rows()) == [("second", "first"), ("third", "first")]


def test_a_chain_of_reposts_points_every_repost_at_the_posting_that_is_kept():
    # the same job reposted every 5 days: each repost matches the one before, the third lies past
    # the first's 7-day window; all three reposts are duplicates of the first, which alone is kept
    rows = [{"source": "b", "posted_date": date(2024, 5, day), "record_id": f"r{day}"} for day in (1, 6, 11, 16)]
    built = build([obs(rows)], read_counts={"b": 4})
    assert built.observations.get_column("record_id").to_list() == ["r1"]
    assert built.duplicates.select("record_id", "duplicate_of").rows() == [("r6", "r1"), ("r11", "r1"), ("r16", "r1")]


def test_a_repeated_record_id_whose_first_copy_is_a_cross_posting_points_at_the_kept_posting():
    rows = [{"source": "a", "posted_date": date(2024, 5, 1), "record_id": "a1"},
            {"source": "b", "posted_date": date(2024, 5, 2), "record_id": "b1"},
            {"source": "b", "posted_date": date(2024, 5, 2), "record_id": "b1"}]
    built = build([obs(rows)], read_counts={"a": 1, "b": 2})
    assert built.observations.get_column("record_id").to_list() == ["a1"]
    assert built.duplicates.select("row_number", "duplicate_of", "rule").rows() == [
        (2, "a1", "cross_posted"), (3, "a1", "same_record_id")]


def test_identical_salary_reports_without_ids_are_all_kept():
    same = {"source": "survey", "kind": "salary_report", "posted_date": None, "company": None}
    built = build([obs([same, same, same])], read_counts={"survey": 3})
    assert built.observations.height == 3 and built.duplicates.height == 0


def test_a_repeated_source_record_id_is_a_duplicate_within_its_source_only():
    rows = [{"source": "s", "kind": "salary_report", "record_id": "r1"},
            {"source": "s", "kind": "salary_report", "record_id": "r1", "pay_annual_usd": 1.0},
            {"source": "t", "kind": "salary_report", "record_id": "r1"}]
    built = build([obs(rows)], read_counts={"s": 2, "t": 1})
    assert built.duplicates.select("source", "row_number", "duplicate_of", "rule").rows() == [("s", 2, "r1", "same_record_id")]
    assert built.observations.select("source", "row_number").rows() == [("s", 1), ("t", 3)]


def test_company_names_are_compared_without_case_punctuation_or_legal_suffix():
    names = pl.Series(["Acme Inc.", "ACME, inc", "acme", "Acme Robotics LLC", "Procter & Gamble Co"])
    assert pl.select(company_key(pl.lit(names))).to_series().to_list() == [
        "acme", "acme", "acme", "acme robotics", "procter and gamble"]


def outlier_frame() -> pl.DataFrame:
    pays = [90_000.0, 95_000.0, 100_000.0, 105_000.0, 110_000.0, 98_000.0, 102_000.0, 2_000_000.0, 20_000.0]
    rows = [{"source": "s", "kind": "salary_report", "role": "data_scientist", "pay_annual_usd": p} for p in pays]
    rows += [{"source": "s", "kind": "salary_report", "role": "data_engineer", "pay_annual_usd": p}
             for p in (150_000.0, 2_000_000.0)]  # too few to judge
    return obs(rows)


def expected_outliers(pays: list[float], threshold: float) -> list[bool]:
    logs = [math.log(p) for p in pays]
    centre = median(logs)
    mad = median(abs(x - centre) for x in logs)
    return [abs(0.6745 * (x - centre) / mad) > threshold for x in logs]


def test_outliers_are_flagged_by_robust_z_within_role_and_kept():
    built = build([outlier_frame()], read_counts={"s": 11})
    flagged = built.observations.sort("row_number")
    scientists = flagged.filter(pl.col("role") == "data_scientist")
    assert scientists.get_column("is_outlier").to_list() == expected_outliers(
        scientists.get_column("pay_annual_usd").to_list(), 3.5)
    assert scientists.filter(pl.col("is_outlier")).get_column("pay_annual_usd").to_list() == [2_000_000.0, 20_000.0]
    assert not flagged.filter(pl.col("role") == "data_engineer").get_column("is_outlier").any()
    assert built.observations.height == 11


def test_the_outlier_switch_off_flags_nothing():
    built = build([outlier_frame()], read_counts={"s": 11}, outlier_rule_enabled=False)
    assert not built.observations.get_column("is_outlier").any()


def test_a_zero_mad_falls_back_to_the_mean_absolute_deviation():
    frame = obs([{"source": "s", "role": "r", "pay_annual_usd": p} for p in [100_000.0] * 6 + [400_000.0]])
    flags = flag_outliers(frame, threshold=3.5).get_column("is_outlier").to_list()
    assert flags == [False] * 6 + [True]


def test_accounting_adds_rejects_and_duplicates_and_raises_when_rows_are_missing():
    kept = obs([{"source": "s", "kind": "salary_report", "record_id": "r1"},
                {"source": "s", "kind": "salary_report", "record_id": "r1"}])
    rejects = pl.DataFrame({"source": ["s"], "source_file": ["f.csv"], "row_number": [3], "reason": ["missing_pay"],
                            "detail": [""], "raw": ["x,,"]}, schema=REJECT_SCHEMA)
    built = build([kept], [rejects], read_counts={"s": 3, "empty": 0})
    assert built.accounting.rows() == [("empty", 0, 0, 0, 0, 0), ("s", 1, 3, 1, 1, 1)]
    assert built.accounting.columns == ["source", "files", "rows_read", "rows_kept", "rows_rejected", "rows_duplicate"]
    with pytest.raises(AccountingError, match="does not add up"):
        build([kept], [rejects], read_counts={"s": 4})


def test_the_fixture_postings_repost_a_day_later_is_counted_as_a_duplicate():
    from pathlib import Path

    from transforms.normalise import normalise
    from transforms.reference import load_reference
    from transforms.specs import load_spec, resolve_files
    from transforms.staging import stage_file

    spec = load_spec(Path(__file__).resolve().parents[1] / "fixtures" / "specs" / "postings.yaml")
    [path] = resolve_files(spec)
    staged = stage_file(spec, path)
    result = normalise(staged.frame, spec, load_reference(), as_of=date(2026, 1, 1))
    built = build([result.observations], [staged.rejects, result.rejects], read_counts={"postings": staged.rows_read})
    assert built.observations.get_column("record_id").to_list() == ["a1", "a2"]
    assert built.duplicates.select("record_id", "duplicate_of", "rule").rows() == [("a4", "a2", "cross_posted")]
    assert built.accounting.select("rows_read", "rows_kept", "rows_rejected", "rows_duplicate").rows() == [(4, 2, 1, 1)]


def random_parts(seed: int, parts: int = 3, rows: int = 400) -> list[pl.DataFrame]:
    """Postings and salary reports over 3 countries, with repeated record ids, reposts within and
    outside the window, pay spread for outliers; one part per (source, file) as staging writes."""
    import random

    rng = random.Random(seed)
    places = [("US", "US-TX", "Austin"), ("US", "US-CA", "San Francisco"), ("CA", "CA-ON", "Toronto"),
              ("IN", "IN-KA", "Bengaluru")]
    out = []
    for p in range(parts):
        source = f"source_{p % 2}"
        batch = []
        for i in range(rows):
            country, subdivision, city = rng.choice(places)
            posting = rng.random() < 0.7
            batch.append({
                "source": source, "source_file": f"part-{p:04d}.csv", "kind": "job_posting" if posting else "salary_report",
                "record_id": f"id{rng.randrange(rows)}" if rng.random() < 0.3 else f"{p}:{i}",
                "company": rng.choice(["Acme Inc.", "ACME", "Globex", None]),
                "role": rng.choice(["data_scientist", "data_engineer"]), "seniority": rng.choice(["Senior", None]),
                "country_code": country, "subdivision_code": subdivision, "city": city,
                "posted_date": date(2024, 5, rng.randrange(1, 28)) if rng.random() < 0.9 else None,
                "pay_annual_usd": rng.choice([100_000.0, 101_000.0, 104_000.0, 120_000.0, 2_500_000.0, 9_000.0]),
            })
        out.append(obs(batch).with_columns(pl.int_range(1, rows + 1, dtype=pl.Int64).alias("row_number")))
    return out


@pytest.mark.parametrize("seed, block_rows", [(1, None), (2, 150), (3, 1), (4, 70)])
def test_deciding_by_blocks_and_writing_part_by_part_equals_deciding_on_all_rows(seed, block_rows, tmp_path,
                                                                                 monkeypatch):
    from transforms import observations
    from transforms.observations import (cross_posted_duplicates, point_to_kept, same_record_id_duplicates,
                                         write_observations)

    if block_rows:  # many small batches of (country, role) blocks instead of one
        monkeypatch.setattr(observations, "BLOCK_ROWS", block_rows)
        batches = observations._blocks(observations._keyed_parts(random_parts(seed)))
        assert len(batches) > 3
        # (country, role) blocks larger than a batch are cut by seniority and subdivision: the outlier
        # rule must still judge each block whole, across the batches holding it
        spans = pl.concat([b.select("country_code", "role").unique().with_columns(pl.lit(n).alias("batch"))
                           for n, b in enumerate(batches)]).group_by("country_code", "role").len()
        assert spans.get_column("len").max() > 1
        judged: list[int] = []  # rows the outlier rule is given at once: one batch and one open block at most
        original = observations.flag_outliers
        monkeypatch.setattr(observations, "flag_outliers",
                            lambda frame, **kw: judged.append(frame.height) or original(frame, **kw))

    parts = random_parts(seed)
    read_counts = {}
    for part in parts:
        source = part.get_column("source")[0]
        read_counts[source] = read_counts.get(source, 0) + part.height
    # reference: the rules applied directly to every row at once
    every = pl.concat(parts).sort(["source", "source_file", "row_number"])
    same_id = same_record_id_duplicates(every)
    rest = every.join(same_id.select("source", "source_file", "row_number"), on=["source", "source_file", "row_number"],
                      how="anti")
    cross = cross_posted_duplicates(rest, window_days=7, pay_tolerance=0.05)
    expected_dups = point_to_kept(same_id, cross)
    kept = rest.join(cross.select("source", "source_file", "row_number"), on=["source", "source_file", "row_number"],
                     how="anti")
    expected = flag_outliers(kept, threshold=3.5).sort(["source", "source_file", "row_number"])
    assert expected_dups.height > 20 and expected.get_column("is_outlier").sum() > 5  # the case is not trivial
    assert same_id.height > 0 and cross.height > 0
    # every duplicate names a record that is kept (chains of reposts and repeats of a dropped first copy)
    assert expected_dups.filter(~pl.col("duplicate_of").is_in(expected.get_column("record_id").implode())).height == 0

    in_memory = build(parts, read_counts=read_counts)
    assert in_memory.duplicates.equals(expected_dups)
    assert in_memory.observations.equals(expected)

    paths = []
    for number, part in enumerate(reversed(parts)):  # the order parts are given in must not matter
        paths.append(tmp_path / f"p{number}.parquet")
        if number == 1:  # nor the order of a part's rows (staged parts are in row order: not sorted again)
            part = part.sample(fraction=1.0, shuffle=True, seed=seed)
        part.write_parquet(paths[-1])
    written = write_observations(paths, [], read_counts, tmp_path / "out", None, **SETTINGS)
    assert pl.read_parquet(written.observations).equals(expected)
    assert pl.read_parquet(written.duplicates).equals(expected_dups)
    assert written.accounting.equals(in_memory.accounting)
    assert written.rows == expected.height
    if block_rows:
        largest_block = pl.concat(parts).group_by("country_code", "role").len().get_column("len").max()
        assert len(judged) > 1 and max(judged) <= largest_block + block_rows
        # build and write_observations each judge every kept row exactly once, at most one call per batch
        assert sum(judged) == 2 * expected.height and len(judged) <= 2 * len(batches) and min(judged) > 0


def write_random_parts(seed: int, folder, parts: int = 3) -> tuple[list, dict]:
    paths, read_counts = [], {}
    folder.mkdir(parents=True, exist_ok=True)
    for number, part in enumerate(random_parts(seed, parts=parts)):
        source = part.get_column("source")[0]
        read_counts[source] = read_counts.get(source, 0) + part.height
        paths.append(folder / f"p{number}.parquet")
        part.write_parquet(paths[-1])
    return paths, read_counts


@pytest.mark.parametrize("seed", [5, 6])
def test_partitioned_kept_rows_are_written_once_as_pieces_that_read_like_the_single_file(seed, tmp_path):
    """With partition_by the kept rows go to hive pieces only (no single file: written once, not twice),
    and the glob over them reads, in Polars and in DuckDB with hive partitioning off, as the single
    file does: same columns, dtypes and rows. Each piece holds one key combination, its keys inside the
    file as in its folder names; a partition's pieces in name order are in grain order (what publishing
    copies). Writing again into the same folder leaves no piece of the earlier write behind."""
    import duckdb

    from transforms.observations import ROW_KEY, write_observations

    paths, read_counts = write_random_parts(seed, tmp_path / "parts")
    single = write_observations(paths, [], read_counts, tmp_path / "single", None, **SETTINGS)
    keys = ("country_code", "kind")
    out = tmp_path / "pieces"
    (out / "observations_parts" / "country_code=XX" / "kind=job_posting").mkdir(parents=True)
    pl.DataFrame({"row_number": [1]}).write_parquet(  # a stale piece from an earlier write
        out / "observations_parts" / "country_code=XX" / "kind=job_posting" / "part-00009.parquet")
    pieces = write_observations(paths, [], read_counts, out, None, partition_by=keys, **SETTINGS)

    expected = pl.read_parquet(single.observations)
    assert expected.height > 500 and pieces.rows == single.rows == expected.height
    assert not (out / "observations.parquet").exists() and pieces.partitioned == out / "observations_parts"
    assert pieces.observations == out / "observations_parts" / "**" / "*.parquet"
    got = pl.scan_parquet(pieces.observations, hive_partitioning=False).collect()
    assert got.schema == expected.schema
    assert got.sort(ROW_KEY).equals(expected)
    duck = duckdb.sql(f"SELECT country_code, kind, count(*) AS n, typeof(country_code) AS t "
                      f"FROM read_parquet('{pieces.observations}', hive_partitioning = false) GROUP BY ALL").pl()
    assert set(duck.get_column("t")) == {"VARCHAR"}
    assert sorted(duck.select("country_code", "kind", "n").rows()) == sorted(
        expected.group_by("country_code", "kind").len().rows())
    assert pl.read_parquet(pieces.duplicates).equals(pl.read_parquet(single.duplicates))
    assert pieces.accounting.equals(single.accounting)

    folders = sorted({path.parent for path in pieces.partitioned.rglob("*.parquet")})
    assert len(folders) == expected.select(keys).unique().height
    for folder in folders:
        values = {part.split("=", 1)[0]: part.split("=", 1)[1] for part in folder.relative_to(pieces.partitioned).parts}
        rows = pl.concat([pl.read_parquet(f, hive_partitioning=False) for f in sorted(folder.glob("*.parquet"))])
        assert rows.select(ROW_KEY).equals(rows.select(ROW_KEY).sort(ROW_KEY))  # grain order, pieces in name order
        assert rows.select(keys).unique().rows() == [(values["country_code"], values["kind"])]


def test_partitioned_write_with_no_kept_row_gives_an_empty_single_file(tmp_path):
    from transforms.observations import write_observations

    part = random_parts(1, parts=1)[0].head(0)
    part.write_parquet(tmp_path / "p0.parquet")
    written = write_observations([tmp_path / "p0.parquet"], [], {}, tmp_path / "out", None,
                                 partition_by=("country_code",), **SETTINGS)
    assert written.partitioned is None and written.rows == 0
    assert written.observations == tmp_path / "out" / "observations.parquet"
    assert pl.read_parquet(written.observations).height == 0


def brute_force_cross_posts(frame: pl.DataFrame, window_days: int, pay_tolerance: float) -> list[tuple]:
    """Rule 2 by its definition, row against every earlier row (pure Python): each posting whose
    bucket (company key, role, seniority, place) holds an earlier posting (by date, then row key) at
    most `window_days` before it with pay within the tolerance is a duplicate of the first such posting,
    and names the posting that is kept: that one's own first match when it is a duplicate too, and so on."""
    rows = [r for r in frame.with_columns(company_key(pl.col("company")).alias("_company")).to_dicts()
            if r["kind"] == "job_posting" and r["posted_date"] is not None and r["company"] is not None
            and r["pay_annual_usd"] is not None]
    rows.sort(key=lambda r: (r["posted_date"], r["source"], r["source_file"], r["row_number"]))
    bucket = ("_company", "role", "seniority", "country_code", "subdivision_code", "city")
    found = []
    for i, row in enumerate(rows):
        for earlier in rows[:i]:
            if (all(earlier[c] == row[c] and row[c] is not None for c in ("_company", "role", "country_code"))
                    and all((earlier[c] or "") == (row[c] or "") for c in bucket[3:] + ("seniority",))
                    and (row["posted_date"] - earlier["posted_date"]).days <= window_days
                    and abs(row["pay_annual_usd"] - earlier["pay_annual_usd"]) <= pay_tolerance * earlier["pay_annual_usd"]):
                found.append((row["source"], row["source_file"], row["row_number"], row["record_id"], earlier["record_id"]))
                break
    match = {record_id: earlier for *_, record_id, earlier in found}  # the record ids here are unique
    kept = {}
    for record_id in match:
        root = match[record_id]
        while root in match:
            root = match[root]
        kept[record_id] = root
    return sorted((*key, record_id, kept[record_id]) for *key, record_id, _ in found)


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("window_days", [0, 1, 7, 30])
def test_cross_posts_found_by_period_buckets_equal_the_pairwise_definition(seed, window_days):
    """Postings over a few windows' days, across period edges (and before 1970, where integer division
    of negative day numbers matters), a few companies spelled several ways, pays near the tolerance."""
    import random

    from transforms.observations import cross_posted_duplicates

    rng = random.Random(seed)
    starts = [date(1969, 12, 1), date(2024, 4, 20)]
    span = max(8, 3 * (window_days + 1))
    rows = []
    for i in range(160):
        start = rng.choice(starts)
        rows.append({
            "source": rng.choice(["a", "b"]), "record_id": f"r{i}",
            "kind": "job_posting" if rng.random() < 0.9 else "salary_report",
            "company": rng.choice(["Acme Inc.", "ACME", "acme, llc", "Globex", None]),
            "seniority": rng.choice(["Senior", None]), "city": rng.choice(["Austin, Texas, United States", None]),
            "posted_date": date.fromordinal(start.toordinal() + rng.randrange(span)) if rng.random() < 0.95 else None,
            "pay_annual_usd": rng.choice([100_000.0, 104_000.0, 105_000.0, 95_238.0, 110_000.0]),
        })
    frame = obs(rows)
    got = cross_posted_duplicates(frame, window_days=window_days, pay_tolerance=0.05)
    expected = brute_force_cross_posts(frame, window_days, 0.05)
    assert len(expected) > 10  # not a trivial case
    assert sorted(got.select("source", "source_file", "row_number", "record_id", "duplicate_of").rows()) == expected


def test_applying_the_decisions_keeps_a_staged_parts_row_order_so_it_is_not_sorted_again():
    """Staged parts are in grain order and write_observations sorts only a part that is not. Polars
    2.1 reordered a part's rows when the anti join on duplicates had no `maintain_order` (it ran
    beside the outlier join): every part of a real run was sorted again, ~1 s a million rows."""
    from transforms.observations import Decisions, _apply, _in_grain_order, _keyed_parts

    rows = 400_000
    part = pl.DataFrame({
        "source": ["s"] * rows, "source_file": ["part-0000.csv"] * rows,
        "row_number": pl.int_range(1, rows + 1, dtype=pl.Int64, eager=True),
        "pay_annual_usd": pl.int_range(0, rows, eager=True).cast(pl.Float64),
    })
    [keyed] = _keyed_parts([part])
    duplicates = pl.DataFrame({"source": ["s"] * 3, "source_file": ["part-0000.csv"] * 3,
                               "row_number": [7, 70_000, 300_001]}, schema_overrides={"row_number": pl.Int64})
    outliers = pl.DataFrame({"_part": [0, 0], "_idx": [5, 200_000]}, schema={"_part": pl.UInt32, "_idx": pl.UInt32})
    applied = _apply(keyed, Decisions(duplicates=duplicates, outliers=outliers)).collect()
    expected = (part.filter(~pl.col("row_number").is_in([7, 70_000, 300_001]))
                .with_columns(pl.col("row_number").is_in([6, 200_001]).alias("is_outlier")))
    assert _in_grain_order(applied)
    assert applied.select(expected.columns).equals(expected)
