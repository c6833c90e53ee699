"""Staging: one raw file -> one frame of canonical text columns, plus the rows that could not be read.

Staging only renames and decodes: every canonical field (see `specs.CANONICAL_FIELDS`) becomes a
Utf8 column (null when the spec does not provide it), spec constants and value recodings are
applied, and each row keeps where it came from (`source`, `source_file`, `row_number`, 1-based
data row) and its original text (`raw`) so that a reject can be traced back to the file.

CSV is split into records without a per-row Python loop: the text is split into lines, a record
ends on a line that does not end inside a quoted field (so quoted newlines stay in their record),
and the number of fields is the number of delimiters left after removing quoted fields. Quoting
follows RFC 4180 as Python's csv and pandas read it: a quote opens a quoted field only at the start
of a field, and a quote inside an unquoted field ('Data 5" Scientist', '27" monitor') is a literal
character (such records are re-quoted for Polars' reader, which does not read them so). Records
whose field count differs from the header's are rejected as `malformed_row` with their raw text;
the others are parsed by Polars with every column read as text.

Encodings: a UTF-8 byte-order mark is dropped and a UTF-16/32 one selects that codec; `auto`
tries UTF-8, then cp1252, then latin-1 (which decodes any byte) and records what was used in
`StagedFile.encoding`. A file that mixes UTF-8 lines with cp1252 ones (files concatenated from
different exports) decodes each valid UTF-8 sequence as UTF-8 and only the invalid bytes as
cp1252 (`utf-8+cp1252`). Values that are UTF-8 once mis-decoded as cp1252 ("DÃ©veloppeur") are
repaired when the round trip is exact, and NUL characters are removed from values (they end C
strings in tools downstream). A blank CSV header cell is named `Unnamed: <position>` as pandas
names it (so ids seen in pandas map as they read). A mapped column whose name appears twice in a
CSV header is a spec error (which of the two is meant cannot be guessed), and a file that cannot
be read in the spec's format (a CSV named .parquet) is a spec error naming the path.
"""
from __future__ import annotations

import codecs
import csv
import io
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Iterator

import polars as pl

from transforms.specs import CANONICAL_FIELDS, SourceSpec, SpecError, source_file_name

UTF8_BOM = b"\xef\xbb\xbf"
UNICODE_BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
                (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
MIXED_ENCODING = "utf-8+cp1252"
QUOTE = '"'

REJECT_SCHEMA: dict[str, pl.DataType] = {
    "source": pl.String, "source_file": pl.String, "row_number": pl.Int64,
    "reason": pl.String, "detail": pl.String, "raw": pl.String,
}
META_SCHEMA: dict[str, pl.DataType] = {
    "source": pl.String, "source_file": pl.String, "row_number": pl.Int64, "raw": pl.String,
}


@dataclass(frozen=True)
class StagedFile:
    """A staged raw file: readable rows in `frame`, unreadable ones in `rejects`."""

    frame: pl.DataFrame
    rejects: pl.DataFrame
    encoding: str = "utf-8"

    @property
    def rows_read(self) -> int:
        """Data rows met in the file (read = staged + rejected here)."""
        return self.frame.height + self.rejects.height


def staged_schema() -> dict[str, pl.DataType]:
    """Column types of every staged frame: canonical text columns then row provenance."""
    return {**{f: pl.String for f in CANONICAL_FIELDS}, **META_SCHEMA}


def empty_rejects() -> pl.DataFrame:
    return pl.DataFrame(schema=REJECT_SCHEMA)


def _single_byte_char(byte: int) -> str:
    try:
        return bytes([byte]).decode("cp1252")
    except UnicodeDecodeError:
        return bytes([byte]).decode("latin-1")


def _cp1252_fallback(error: UnicodeError) -> tuple[str, int]:
    """Codec error handler: bytes that are not UTF-8 are read as cp1252 (latin-1 where undefined)."""
    if not isinstance(error, UnicodeDecodeError):  # pragma: no cover - registered for decoding only
        raise error
    chunk = error.object[error.start:error.end]
    return "".join(_single_byte_char(b) for b in chunk), error.end


codecs.register_error("market_intel_cp1252_fallback", _cp1252_fallback)


def decode_bytes(data: bytes, encoding: str = "auto") -> tuple[str, str]:
    """Bytes -> (text, encoding used); `auto` falls back from UTF-8 to cp1252 to latin-1.

    A UTF-16/32 byte-order mark selects that codec whatever the spec says (such a file cannot be
    read any other way); UTF-8 lines mixed with cp1252 ones decode each in its own encoding.
    """
    for bom, codec in UNICODE_BOMS:
        if data.startswith(bom):
            return data.decode(codec), codec
    bom = data.startswith(UTF8_BOM)
    if bom:
        data = data[len(UTF8_BOM):]
    if encoding != "auto":
        return data.decode(encoding), encoding
    try:
        return data.decode("utf-8"), ("utf-8-sig" if bom else "utf-8")
    except UnicodeDecodeError:
        mixed = data.decode("utf-8", errors="market_intel_cp1252_fallback")
    for candidate in ("cp1252", "latin-1"):
        try:
            single = data.decode(candidate)
        except UnicodeDecodeError:
            continue
        return (single, candidate) if single == mixed else (mixed, MIXED_ENCODING)
    raise AssertionError("latin-1 decodes every byte")  # pragma: no cover


def _decoded_lines(data: bytes, encoding: str = "auto", *, lone_cr: bool) -> tuple[pl.Series, str]:
    """The file's lines (split at "\n" after "\r\n", and with `lone_cr` a lone "\r", became "\n")
    and the encoding used, as `decode_bytes` decides it. Valid UTF-8 (the common case) is
    checked and split by Polars without building Python strings; anything else is decoded by
    `decode_bytes` first. UTF-8 is self-synchronising: CR and LF bytes are only ever those
    characters, so line endings are replaced on the bytes."""
    if encoding in ("auto", "utf-8") and not any(data.startswith(bom) for bom, _ in UNICODE_BOMS):
        bom = data.startswith(UTF8_BOM)
        body = data[len(UTF8_BOM):] if bom else data
        if b"\r" in body:
            body = body.replace(b"\r\n", b"\n")
            if lone_cr:
                body = body.replace(b"\r", b"\n")
        try:  # every line is valid UTF-8 exactly when the whole text is
            lines = pl.Series("line", body.split(b"\n"), dtype=pl.Binary).cast(pl.String)
        except pl.exceptions.PolarsError:  # not UTF-8: decode_bytes falls back (auto) or raises (utf-8)
            pass
        else:
            return lines, ("utf-8-sig" if bom and encoding == "auto" else "utf-8")
    decoded, used = decode_bytes(data, encoding)
    decoded = decoded.replace("\r\n", "\n")
    if lone_cr:
        decoded = decoded.replace("\r", "\n")
    return pl.Series("line", decoded.split("\n"), dtype=pl.String), used


def _joined(lines: pl.Series) -> bytes:
    """"\n".join(lines) as UTF-8 bytes, joined by Polars."""
    return lines.str.join("\n").cast(pl.Binary).item() if lines.len() else b""


COMPRESSED = ((b"\x1f\x8b", "gzip"), (b"PK\x03\x04", "zip (an .xlsx workbook is one)"), (b"BZh", "bzip2"),
              (b"\x28\xb5\x2f\xfd", "zstd"), (b"\xfd7zXZ\x00", "xz"))


def _refuse_compressed(spec: SourceSpec, path: Path, head: bytes) -> None:
    """A compressed CSV / JSON lines file was decoded as cp1252 text: its one "column" of binary noise was
    reported as the header, control characters and all. Named for what it is instead."""
    for magic, kind in COMPRESSED:
        if head.startswith(magic):
            raise SpecError(spec.label, "path", f"{path.name} is {kind}-compressed: the run reads plain "
                            f"{spec.format} files, decompress it first")


def stage_file(spec: SourceSpec, path: str | Path) -> StagedFile:
    """Read one raw file of `spec` into canonical text columns (see module docstring)."""
    path = Path(path)
    if spec.format == "parquet":
        table, rejects, encoding = _read_parquet(spec, path), empty_rejects(), "parquet"
    else:
        data = path.read_bytes()
        _refuse_compressed(spec, path, data[:8])
        try:
            lines, encoding = _decoded_lines(data, spec.encoding, lone_cr=spec.format == "csv")
        except UnicodeDecodeError as exc:
            raise SpecError(spec.label, "encoding",
                            f"{path.name} is not {spec.encoding}: {exc.reason} at byte {exc.start}") from exc
        reader = _read_csv_lines if spec.format == "csv" else _read_jsonl_lines
        table, rejects = reader(lines, spec, path)
    _check_columns(spec, table, path)
    return _staged(table, rejects, spec, path, encoding)


def _staged(table: pl.DataFrame, rejects: pl.DataFrame, spec: SourceSpec, path: Path, encoding: str,
            row_offset: int = 0) -> StagedFile:
    frame = _canonical(table, spec, path)
    rejects = rejects.with_columns(
        pl.lit(spec.name).alias("source"), pl.lit(source_file_name(spec, path)).alias("source_file")
    ).select(list(REJECT_SCHEMA)).cast(REJECT_SCHEMA)
    if row_offset:
        frame = frame.with_columns(pl.col("row_number") + row_offset)
        rejects = rejects.with_columns(pl.col("row_number") + row_offset)
    return StagedFile(frame=frame, rejects=rejects.sort("row_number"), encoding=encoding)


HEADER_PREFIX_BYTES = 1 << 20


def check_header(spec: SourceSpec, path: str | Path) -> None:
    """Before any row is staged: the mapped columns against a CSV file's header or a Parquet file's
    schema, raising the SpecError staging would raise (a column not found, a mapped column named twice
    in the header, a file that is not Parquet, a header that is not in the spec's encoding).

    `market-intel run` calls this for every raw file before the flow starts, so that a wrong column
    name exits 2 at once rather than from inside a staging task after other files were staged. It reads
    the first MiB of a CSV, decoded as staging decodes it; where that cannot give staging's header (a
    UTF-16/32 file, a header longer than that), and for JSON lines (whose keys are those of every line),
    the check is left to staging, which raises the same SpecError.
    """
    path = Path(path)
    if spec.format == "parquet":
        try:
            schema = pl.scan_parquet(path, glob=False).collect_schema()  # a file, not a pattern
            names = schema.names()
        except (pl.exceptions.PolarsError, OSError) as exc:
            first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise SpecError(spec.label, "path", f"{path.name} is not a readable parquet file: {first_line}") from exc
        _check_columns(spec, pl.DataFrame(schema={name: pl.String for name in names}), path)
        _refuse_mapped_without_text(spec, path, schema)
        return
    if spec.format != "csv":
        with path.open("rb") as handle:
            _refuse_compressed(spec, path, handle.read(8))
        return
    with path.open("rb") as handle:
        head = handle.read(HEADER_PREFIX_BYTES)
        whole = not handle.read(1)
    _refuse_compressed(spec, path, head[:8])
    if any(head.startswith(bom) for bom, _ in UNICODE_BOMS):
        return
    if not whole:  # cut after the last line end: never inside a UTF-8 character or a CR LF pair
        head = head[:max(head.rfind(b"\n"), head.rfind(b"\r") - 1) + 1]
        if not head:
            return
    try:
        lines, _ = _decoded_lines(head, spec.encoding, lone_cr=True)
    except UnicodeDecodeError as exc:
        raise SpecError(spec.label, "encoding",
                        f"{path.name} is not {spec.encoding}: {exc.reason} at byte {exc.start}") from exc
    records = _records(lines, spec.delimiter)
    if records.height == 0 or not records.item(0, "is_closed"):
        return  # an empty file (nothing to map), or a header that goes on past the prefix
    table, _, _ = _read_csv_records(records.slice(0, 1).get_column("raw"), spec, path)
    _check_columns(spec, table, path)


# --- a large file in pieces ------------------------------------------------------------------

CHUNK_BYTES = 16 * 2**20  # ~47k postings of the synthetic boards: ~0.2 GB of working memory each


def stage_chunks(spec: SourceSpec, path: str | Path, chunk_bytes: int | None = None) -> Iterator[StagedFile]:
    """`stage_file` in pieces of about `chunk_bytes` of the raw file, so that memory holds one piece.

    Pieces are cut at line ends (for CSV only where no quoted field is open, i.e. between records, as
    `_records` groups them), row numbers continue from piece to piece, and
    each CSV piece is read under the file's header. Concatenated, the pieces' frames and rejects equal
    `stage_file`'s (tested), with two differences for JSON lines, where each piece infers its own
    types: a mapped key that a piece never contains is null there (the file is a spec error only when
    no piece contains it), and a number key holding integers in one piece and decimals in another
    reads "5" where the whole file would read "5.0" (the same number to every parser downstream).

    Files this cannot split exactly are staged whole (one piece): Parquet, a spec encoding other than
    UTF-8/auto, a UTF-16/32 byte-order mark, CSV with lone carriage returns as line ends, and any file
    that is not valid UTF-8 throughout (`auto` decides the fallback encoding on the whole file).
    """
    path = Path(path)
    chunk_bytes = chunk_bytes or CHUNK_BYTES
    if (spec.format == "parquet" or spec.encoding not in ("auto", "utf-8")
            or path.stat().st_size <= chunk_bytes):
        yield stage_file(spec, path)
        return
    csv = spec.format == "csv"
    with path.open("rb") as handle:
        head = handle.read(8)
        _refuse_compressed(spec, path, head)
        bounds, exact = _piece_bounds(handle, chunk_bytes, quoted=csv, delimiter=spec.delimiter)
        if len(bounds) < 2 or not exact or any(head.startswith(bom) for bom, _ in UNICODE_BOMS):
            bounds = []
        header: str | None = None
        offset, seen, encoding = 0, set(), "utf-8"
        for number, (start, end) in enumerate(bounds):
            handle.seek(start)
            lines, used = _decoded_lines(handle.read(end - start), "utf-8" if number else spec.encoding,
                                         lone_cr=csv)
            if csv:
                if header is None:
                    table, rejects, header = _read_csv_records(lines, spec, path)
                else:
                    table, rejects, _ = _read_csv_records(lines, spec, path, header=header)
            else:
                table, rejects = _read_jsonl_lines(lines, spec, path)
            del lines
            encoding = used if number == 0 else encoding
            seen.update(table.columns)
            piece = _staged(table, rejects, spec, path, encoding, row_offset=offset)
            del table, rejects
            offset += piece.rows_read
            yield piece
    if not bounds:
        yield stage_file(spec, path)
        return
    _check_columns(spec, pl.DataFrame(schema={c: pl.String for c in sorted(seen)}), path)


LINE_BLOCK = 1 << 16


def _piece_bounds(handle: BinaryIO, chunk_bytes: int, *, quoted: bool,
                  delimiter: str = ",") -> tuple[list[tuple[int, int]], bool]:
    """(start, end) byte ranges of a file, about chunk_bytes each, each ending after a newline (or at
    the end of the file); with `quoted`, only where no quoted field is open (between CSV records, as
    `_records` groups them). Read one piece at a time. Also whether the pieces can be read apart
    exactly: every piece is valid UTF-8 (so the whole file is: pieces end at newlines) and, with
    `quoted` (CSV, where a lone carriage return ends a line), no piece holds a carriage return outside
    a CR LF pair."""
    size = handle.seek(0, io.SEEK_END)
    bounds, exact, start = [], True, 0
    while start < size:
        handle.seek(start)
        piece = bytearray(handle.read(chunk_bytes))
        complete = piece.rfind(b"\n") + 1  # bytes of whole lines
        inside = quoted and complete > 0 and _ends_inside_quotes(bytes(piece[:complete - 1]), delimiter, False)
        while (len(piece) > complete or inside) and start + len(piece) < size:
            handle.seek(start + len(piece))
            more = handle.read(LINE_BLOCK)
            newline = more.find(b"\n")
            piece += more if newline < 0 else more[:newline + 1]
            if newline >= 0:  # one more whole line: the state after it
                if quoted:
                    inside = _ends_inside_quotes(bytes(piece[complete:-1]), delimiter, inside)
                complete = len(piece)
        bounds.append((start, start + len(piece)))
        start += len(piece)
        if exact:
            exact = _is_utf8(bytes(piece)) and not (quoted and piece.count(b"\r") != piece.count(b"\r\n"))
    return bounds, exact


def _ends_inside_quotes(text: bytes, delimiter: str, inside: bool) -> bool:
    """Whether lines of CSV bytes (no final newline) end inside a quoted field, starting `inside` one or
    not. Quotes and ASCII delimiters are the same bytes in UTF-8 and cp1252: other bytes are decoded
    loosely, as they do not change the answer."""
    if QUOTE.encode() not in text:
        return inside
    lines = pl.Series("line", text.decode("utf-8", errors="replace").replace("\r\n", "\n").replace("\r", "\n")
                      .split("\n"), dtype=pl.String)
    return bool(_inside_quotes_after(lines, delimiter, inside)[-1])


def _is_utf8(data: bytes) -> bool:
    try:
        pl.Series([data], dtype=pl.Binary).cast(pl.String)
    except pl.exceptions.PolarsError:
        return False
    return True


# --- CSV -------------------------------------------------------------------------------------

def _quote_patterns(delimiter: str) -> tuple[str, str, str, str]:
    """Regexes (Rust syntax, no look-around) of the CSV quoting rules of RFC 4180 as Python's csv reads
    them: a quote opens a quoted field only at the start of a field; inside one, "" is a quote and a
    lone quote closes it (text after the closing quote up to the delimiter is kept literally); a quote
    anywhere else is a literal character. Returns (a line starting outside quotes ends inside an open
    quoted field, a line starting inside one ends inside one, a quoted field at the start of a field,
    a record strictly of RFC 4180 fields)."""
    d = f"\\x{{{ord(delimiter):x}}}"
    field = rf'(?:"(?:[^"]|"")*"(?:[^"{d}][^{d}]*)?|[^"{d}][^{d}]*)?'
    still_open = r'"(?:[^"]|"")*$'
    out_to_in = rf'^(?:{field}{d})*{still_open}'
    in_to_in = rf'^(?:[^"]|"")*(?:$|"(?:[^"{d}][^{d}]*)?{d}(?:{field}{d})*{still_open})'
    quoted_field = rf'(^|{d})"(?:[^"]|"")*"'
    strict_field = rf'(?:"(?:[^"]|"")*"|[^"{d}][^{d}]*)?'
    strict_record = rf'^{strict_field}(?:{d}{strict_field})*$'
    return out_to_in, in_to_in, quoted_field, strict_record


def _inside_quotes_after(lines: pl.Series, delimiter: str, inside: bool = False) -> pl.Series:
    """For each line, whether the text up to its end is inside an open quoted field (the record goes
    on), starting `inside` one or not. Each line maps the state before it to the state after it by one
    of four functions (always outside, always inside, keep, flip), found by two regexes; the state after
    line i is the last 'always' before it flipped by the flips since: a cumulative sum, no row loop."""
    out_to_in, in_to_in, _, _ = _quote_patterns(delimiter)
    line = pl.col("line")
    has_quote = line.str.contains(QUOTE, literal=True)
    return (
        pl.DataFrame({"line": lines}).lazy()
        .select(  # a line without a quote keeps the state
            (has_quote & line.str.contains(out_to_in)).alias("a"),
            (~has_quote | line.str.contains(in_to_in)).alias("b"),
        )
        .with_columns((pl.col("a") & ~pl.col("b")).cast(pl.Int64).cum_sum().alias("flips"))
        .with_columns(
            pl.when(pl.col("a") == pl.col("b")).then(pl.col("a")).forward_fill().fill_null(inside).alias("anchor"),
            pl.when(pl.col("a") == pl.col("b")).then(pl.col("flips")).forward_fill().fill_null(0).alias("anchor_flips"),
        )
        .select((pl.col("anchor") ^ ((pl.col("flips") - pl.col("anchor_flips")) % 2 == 1)).alias("inside"))
        .collect()
        .get_column("inside")
    )


def _records(lines: pl.Series, delimiter: str = ",") -> pl.DataFrame:
    """Lines -> CSV records (quoted newlines kept inside), blank records dropped, in file order."""
    return _records_and_rest(lines, delimiter).drop("rest")


def _records_and_rest(lines: pl.Series, delimiter: str) -> pl.DataFrame:
    """`_records` plus each record's `rest`: its text without the quoted fields (`_without_quoted_fields`).

    When no line has a quote outside its quoted fields (the common case, one regex pass), every line
    ends outside quotes, so a record is a line; otherwise lines are grouped by `_inside_quotes_after`."""
    frame = pl.DataFrame({"raw": lines}).with_columns(_without_quoted_fields(pl.col("raw"), delimiter).alias("rest"))
    if not frame.get_column("rest").str.contains(QUOTE, literal=True).any():
        return (frame.select("raw", pl.lit(True).alias("is_closed"), "rest")
                .filter(pl.col("raw").str.strip_chars() != ""))
    return _grouped_records(lines, delimiter).with_columns(
        _without_quoted_fields(pl.col("raw"), delimiter).alias("rest"))


def _grouped_records(lines: pl.Series, delimiter: str = ",") -> pl.DataFrame:
    """`_records` in general: lines grouped into records where a line does not end inside quotes."""
    return (
        pl.DataFrame({"line": lines, "ends_record": ~_inside_quotes_after(lines, delimiter)}).lazy()
        .with_row_index("line_index")
        .with_columns(
            pl.col("ends_record").shift(1, fill_value=True).cast(pl.Int64).cum_sum().alias("record_index")
        )
        .group_by("record_index")
        .agg(
            pl.col("line").sort_by("line_index").str.join("\n").str.strip_chars_end("\n").alias("raw"),
            pl.col("ends_record").sort_by("line_index").last().alias("is_closed"),
        )
        .sort("record_index")
        .filter(pl.col("raw").str.strip_chars() != "")
        .select("raw", "is_closed")
        .collect()
    )


def _without_quoted_fields(raw: pl.Expr, delimiter: str) -> pl.Expr:
    """A record without its quoted fields (those that open at the start of a field): the delimiters
    left separate its fields, and a quote left is a literal one (or an unterminated field)."""
    _, _, quoted_field, _ = _quote_patterns(delimiter)
    return raw.str.replace_all(quoted_field, "${1}")


def _field_count(rest: pl.Expr, delimiter: str) -> pl.Expr:
    """Fields of a record from its `rest` (`_without_quoted_fields`): a quote inside an unquoted field is
    a literal character and hides no delimiter."""
    return rest.str.count_matches(delimiter, literal=True) + 1


def _literal_quotes(raw: pl.Expr, rest: pl.Expr, delimiter: str) -> pl.Expr:
    """Whether a record of strict RFC 4180 fields has a quote inside an unquoted field ('Data 5" Scientist',
    'a "b" c'): Polars' reader does not take such a quote literally (it failed or misread the record)."""
    _, _, _, strict_record = _quote_patterns(delimiter)
    return rest.str.contains(QUOTE, literal=True) & raw.str.contains(strict_record)


def _requoted(record: str, delimiter: str) -> str:
    """A record with literal quotes in unquoted fields, written so that any CSV reader reads the same
    fields: each such field quoted, its quotes doubled (Python's csv, on those few records only)."""
    [fields] = list(csv.reader(io.StringIO(record, newline=""), delimiter=delimiter, strict=True))
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="\n", quoting=csv.QUOTE_MINIMAL).writerow(fields)
    return out.getvalue()[:-1]


def _parser_text(raw: pl.Series, delimiter: str, rest: pl.Series | None = None) -> pl.Series:
    """The records as handed to Polars' reader: literal quotes in unquoted fields re-quoted (`_requoted`)."""
    frame = raw.to_frame("raw").with_columns(
        (rest.alias("rest") if rest is not None else _without_quoted_fields(pl.col("raw"), delimiter).alias("rest")))
    if not frame.get_column("rest").str.contains(QUOTE, literal=True).any():
        return raw
    literal = frame.select(_literal_quotes(pl.col("raw"), pl.col("rest"), delimiter)).to_series()
    if not literal.any():
        return raw
    fixed = {value: _requoted(value, delimiter) for value in raw.filter(literal).unique().to_list()}
    return raw.replace(fixed)


def _read_csv_lines(lines: pl.Series, spec: SourceSpec, path: Path) -> tuple[pl.DataFrame, pl.DataFrame]:
    table, rejects, _ = _read_csv_records(lines, spec, path)
    return table, rejects


HEADER_PADDING = " \t\ufeff"


def _read_csv_records(lines: pl.Series, spec: SourceSpec, path: Path,
                      header: str | None = None) -> tuple[pl.DataFrame, pl.DataFrame, str | None]:
    """Lines -> (parsed records, malformed ones, the header); the first record is the header unless
    `header` is given (a later piece of the file: every record is data)."""
    records = _records_and_rest(lines, spec.delimiter)
    if header is None:
        if records.height == 0:
            return pl.DataFrame(schema={"row_number": pl.Int64, "raw": pl.String}), empty_rejects(), None
        header, data = records.row(0, named=True)["raw"], records.slice(1)
    else:
        data = records
    _check_unique_mapped_columns(spec, header, path)
    header_fields = pl.select(_field_count(_without_quoted_fields(pl.lit(header, pl.String), spec.delimiter),
                                           spec.delimiter)).item()
    data = data.with_columns(
        pl.int_range(1, pl.len() + 1, dtype=pl.Int64).alias("row_number"),
        _field_count(pl.col("rest"), spec.delimiter).alias("fields"),
    )
    # the header again (CSV files concatenated, each with its header; a byte-order mark and blanks aside)
    repeated = pl.col("raw").str.strip_chars(HEADER_PADDING) == pl.lit(header.strip(HEADER_PADDING), pl.String)
    is_good = (pl.col("fields") == header_fields) & pl.col("is_closed") & ~repeated
    good, bad = data.filter(is_good), data.filter(~is_good)
    rejects = bad.select(
        pl.col("row_number"),
        pl.lit("malformed_row").alias("reason"),
        pl.when(repeated).then(pl.lit("repeated header (files concatenated?)"))
        .when(pl.col("is_closed"))
        .then(pl.format("{} fields where the header has {}", pl.col("fields"), pl.lit(header_fields)))
        .otherwise(pl.lit("unterminated quoted field"))
        .alias("detail"),
        pl.col("raw"),
    )
    good = good.with_columns(_parser_text(good.get_column("raw"), spec.delimiter, good.get_column("rest")).alias("text"))
    try:
        parsed = _parse_csv(header, good.get_column("text"), spec)
    except pl.exceptions.PolarsError:  # a record the parser refuses (text after a closing quote): find it
        ok = pl.Series("ok", [_parses_alone(header, raw, spec) for raw in good.get_column("text").to_list()])
        rejects = pl.concat([rejects, good.filter(~ok).select(
            "row_number", pl.lit("malformed_row").alias("reason"),
            pl.lit("not parseable as CSV (text after a closing quote?)").alias("detail"), "raw")]).sort("row_number")
        good = good.filter(ok)
        parsed = _parse_csv(header, good.get_column("text"), spec)
    parsed = parsed.rename({c: f"Unnamed: {i}" for i, c in enumerate(parsed.columns) if not c.strip()})
    if parsed.height != good.height:
        raise ValueError(f"{path.name}: parsed {parsed.height} rows from {good.height} well-formed records")
    table = parsed.with_columns(good.get_column("row_number"), good.get_column("raw"))
    return table, rejects, header


def _parse_csv(header: str, records: pl.Series, spec: SourceSpec) -> pl.DataFrame:
    header = _parser_text(pl.Series([header], dtype=pl.String), spec.delimiter).item()
    body = _joined(pl.concat([pl.Series([header], dtype=pl.String), records,
                              pl.Series([""], dtype=pl.String)]))  # header, records, final newline
    return pl.read_csv(io.BytesIO(body), infer_schema=False, separator=spec.delimiter,
                       quote_char=QUOTE, has_header=True, raise_if_empty=False)


def _parses_alone(header: str, record: str, spec: SourceSpec) -> bool:
    try:
        return _parse_csv(header, pl.Series([record], dtype=pl.String), spec).height == 1
    except pl.exceptions.PolarsError:
        return False


def _check_unique_mapped_columns(spec: SourceSpec, header: str, path: Path) -> None:
    """A mapped column named twice in the header is ambiguous: fail like a missing column."""
    header = _parser_text(pl.Series([header], dtype=pl.String), spec.delimiter).item()
    names = pl.read_csv(io.BytesIO(header.encode("utf-8")), has_header=False, infer_schema=False,
                        separator=spec.delimiter, quote_char=QUOTE).row(0)
    for field, column in spec.fields.items():
        if (count := sum(name == column for name in names)) > 1:
            raise SpecError(spec.label, f"fields.{field}",
                            f"column {column!r} appears {count} times in the header of {path.name}")


# --- JSON lines ------------------------------------------------------------------------------

def _refuse_constant(name: str):
    raise ValueError(f"{name} is not JSON")


def _finite_float(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise ValueError(f"{text} overflows a double")
    return value


def _int_polars_reads(text: str) -> int:
    value = int(text)
    if not -(2**127) <= value < 2**128:  # beyond Polars' JSON tokenizer (i128 / u128)
        raise ValueError(f"{text} is beyond 128 bits")
    return value


def _json_object(line: str) -> dict | None:
    """The line as a JSON object as Polars reads JSON, else None: not JSON, not an object, the
    NaN / Infinity literals (Python's json reads them, Polars does not), a number beyond a double or
    128 bits (1e400), or nesting deeper than Python's stack (RecursionError)."""
    try:
        value = json.loads(line, parse_constant=_refuse_constant, parse_float=_finite_float,
                           parse_int=_int_polars_reads)
    except (ValueError, RecursionError):
        return None
    return value if isinstance(value, dict) else None


def _is_json_object(line: str) -> bool:
    return _json_object(line) is not None


def _read_jsonl_lines(lines: pl.Series, spec: SourceSpec, path: Path) -> tuple[pl.DataFrame, pl.DataFrame]:
    lines = (
        pl.DataFrame({"raw": lines})
        .filter(pl.col("raw").str.strip_chars() != "")
        .with_columns(pl.int_range(1, pl.len() + 1, dtype=pl.Int64).alias("row_number"))
    )
    if lines.height == 0:
        return pl.DataFrame(schema={"row_number": pl.Int64, "raw": pl.String}), empty_rejects()
    try:
        parsed = _ndjson(lines.get_column("raw"))
        good, bad = lines, lines.clear()
    except Exception:  # noqa: BLE001 - a broken line anywhere, or types Polars cannot unify (error path only)
        objects = [_json_object(line) for line in lines.get_column("raw").to_list()]
        ok = pl.Series("ok", [value is not None for value in objects])
        good, bad = lines.filter(ok), lines.filter(~ok)
        parsed = _ndjson_or_text(good.get_column("raw"), [value for value in objects if value is not None])
    rejects = bad.select(
        "row_number", pl.lit("malformed_row").alias("reason"),
        pl.lit("not a JSON object").alias("detail"), "raw",
    )
    if parsed.width == 0:  # objects without keys ({}): rows with no columns (mapped ones are missing)
        return good.select("row_number", "raw"), rejects
    table = _as_text(parsed).with_columns(good.get_column("row_number"), good.get_column("raw"))
    return table, rejects


def _ndjson(lines: pl.Series) -> pl.DataFrame:
    return pl.read_ndjson(io.BytesIO(_joined(lines)), infer_schema_length=None)


def _ndjson_or_text(lines: pl.Series, objects: list[dict]) -> pl.DataFrame:
    """JSON object lines read with inferred types, or, where Polars cannot infer one type per key (a key
    holding a number on one line and an object, a list or a boolean on another: a SchemaError that
    failed the run), with every key read as text: a key that is a list on every line as a list of text
    (joined like an inferred list), any other as text (an object or a list as its JSON)."""
    if lines.len() == 0:
        return pl.DataFrame()
    try:
        return _ndjson(lines)
    except pl.exceptions.PolarsError:
        kinds: dict[str, set[bool]] = {}
        for value in objects:
            for key, item in value.items():
                if item is not None:
                    kinds.setdefault(key, set()).add(isinstance(item, list))
                else:
                    kinds.setdefault(key, set())
        schema = {key: pl.List(pl.String) if seen == {True} else pl.String for key, seen in kinds.items()}
        return pl.read_ndjson(io.BytesIO(_joined(lines)), schema=schema)


# --- Parquet ---------------------------------------------------------------------------------

def _read_parquet(spec: SourceSpec, path: Path) -> pl.DataFrame:
    try:
        frame = pl.read_parquet(path, glob=False)  # the file itself: '[1]' in its path is no pattern
    except (pl.exceptions.PolarsError, OSError) as exc:
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise SpecError(spec.label, "path", f"{path.name} is not a readable parquet file: {first_line}") from exc
    _refuse_mapped_without_text(spec, path, frame.schema)
    # byte columns (strings written without the UTF8 annotation, e.g. by Hive or older Spark): Polars'
    # JSON writer panicked on them (the raw text) and casting non-UTF-8 bytes raised, failing the run
    # (exit 1) even for a column the spec does not map. Read as text as CSV bytes are; bytes nested in
    # lists or structs are left out (null)
    frame = frame.with_columns(
        [_bytes_as_text(frame.get_column(name)) for name, dtype in frame.schema.items() if dtype == pl.Binary]
        + [pl.lit(None, pl.String).alias(name) for name, dtype in frame.schema.items()
           if dtype != pl.Binary and _holds_bytes(dtype)])
    raw = (pl.struct(pl.all()).struct.json_encode() if frame.width else pl.lit("{}")).alias("raw")
    # a type with no text form (a duration, a map, a list of lists) is null unless mapped (refused above);
    # the raw text has it
    textless = {name for name, dtype in frame.schema.items() if not _has_text_form(dtype)}
    table = frame.select([pl.lit(None, pl.String).alias(n) if n in textless else _text(n, d)
                          for n, d in frame.schema.items()])
    return table.with_columns(
        pl.int_range(1, pl.len() + 1, dtype=pl.Int64).alias("row_number"),
        frame.select(raw).to_series(),
    )


def _holds_bytes(dtype: pl.DataType) -> bool:
    if dtype == pl.Binary:
        return True
    if isinstance(dtype, (pl.List, pl.Array)):
        return _holds_bytes(dtype.inner)
    if isinstance(dtype, pl.Struct):
        return any(_holds_bytes(field.dtype) for field in dtype.fields)
    return False


def _has_text_form(dtype: pl.DataType) -> bool:
    """Whether `_text` can turn a Parquet column of this type into text (bytes: see `_bytes_as_text`)."""
    if dtype == pl.Binary:
        return True
    if isinstance(dtype, (pl.Duration, pl.Object)) or type(dtype).__name__ == "Map" or _holds_bytes(dtype):
        return False
    if isinstance(dtype, (pl.List, pl.Array)):  # a list of lists cannot be cast to a list of text
        return not isinstance(dtype.inner, (pl.List, pl.Array)) and _has_text_form(dtype.inner)
    return True


def _refuse_mapped_without_text(spec: SourceSpec, path: Path, schema) -> None:
    for field, column in spec.fields.items():
        if column in schema and not _has_text_form(schema[column]):
            raise SpecError(spec.label, f"fields.{field}", f"column {column!r} of {path.name} has type "
                            f"{schema[column]}, which cannot be read as text")


def _bytes_as_text(values: pl.Series) -> pl.Series:
    """A Binary column as text: UTF-8, else (distinct values only) UTF-8 with cp1252 for the invalid bytes."""
    try:
        return values.cast(pl.String)
    except pl.exceptions.PolarsError:
        distinct = values.drop_nulls().unique()
        lookup = pl.DataFrame({"bytes": distinct, "text": pl.Series(
            [b.decode("utf-8", errors="market_intel_cp1252_fallback") for b in distinct.to_list()], dtype=pl.String)})
        return (values.to_frame("bytes").join(lookup, on="bytes", how="left", maintain_order="left")
                .get_column("text").alias(values.name))


def _text(name: str, dtype: pl.DataType) -> pl.Expr:
    col = pl.col(name)
    if isinstance(dtype, (pl.List, pl.Array)):
        return col.cast(pl.List(pl.String)).list.join(", ").alias(name)
    if isinstance(dtype, pl.Struct):  # a null struct stays null, not the text "null"
        return pl.when(col.is_not_null()).then(col.struct.json_encode()).alias(name)
    return col.cast(pl.String).alias(name)


def _as_text(frame: pl.DataFrame) -> pl.DataFrame:
    """Every column as text: lists joined with ', ' (the skills parser reads delimited lists)."""
    return frame.select([_text(n, d) for n, d in frame.schema.items()])


# --- canonical columns -----------------------------------------------------------------------

def _check_columns(spec: SourceSpec, table: pl.DataFrame, path: Path) -> None:
    if table.height == 0 and set(table.columns) <= {"row_number", "raw"}:
        return  # empty file: nothing to map
    available = [c for c in table.columns if c not in ("row_number", "raw")]
    hint = ""
    if spec.format == "csv" and len(available) == 1:  # the whole header read as one column: another delimiter?
        other = next((d for d in (";", "\t", "|") if d in available[0]), None)
        if other is not None:
            written = "\\t" if other == "\t" else other  # YAML reads the escape in double quotes only
            hint = f'; the header is one column: for a {other!r}-separated file set delimiter: "{written}"'
    for field, column in spec.fields.items():
        if column not in available:
            raise SpecError(spec.label, f"fields.{field}",
                            f"column {column!r} not found in {path.name} (columns: {', '.join(available)}){hint}")


# characters that bytes 0xC2-0xF4 (UTF-8 lead bytes) and 0x80-0xBF (continuation bytes) become
# when UTF-8 text is mis-decoded as cp1252: a lead followed by a continuation marks likely mojibake
_LEAD_CHARS = "".join(_single_byte_char(b) for b in range(0xC2, 0xF5))
_CONTINUATION_CHARS = "".join(_single_byte_char(b) for b in range(0x80, 0xC0))
MOJIBAKE_PATTERN = f"[{re.escape(_LEAD_CHARS)}][{re.escape(_CONTINUATION_CHARS)}]"


def _unmojibake(value: str) -> str:
    """'DÃ©veloppeur' -> 'Développeur' when re-encoding as cp1252 gives valid UTF-8; else unchanged."""
    try:
        return value.encode("cp1252", errors="strict").decode("utf-8")
    except UnicodeError:
        try:
            return value.encode("latin-1").decode("utf-8")
        except UnicodeError:
            return value


def repair_mojibake(frame: pl.DataFrame, columns: list[str]) -> pl.DataFrame:
    """Repair mis-decoded UTF-8 in `columns`, working on the distinct suspicious values only."""
    repairs = []
    for column in columns:
        non_ascii = pl.col(column).str.len_bytes() != pl.col(column).str.len_chars()  # mojibake is not ASCII
        suspects = (
            frame.select(pl.col(column).filter(non_ascii)).filter(pl.col(column).str.contains(MOJIBAKE_PATTERN))
            .get_column(column).unique().sort().to_list()
        )
        mapping = {v: fixed for v in suspects if (fixed := _unmojibake(v)) != v}
        if mapping:
            repairs.append(pl.col(column).replace(mapping).alias(column))
    return frame.with_columns(repairs) if repairs else frame


def _canonical(table: pl.DataFrame, spec: SourceSpec, path: Path) -> pl.DataFrame:
    sources = sorted({c for c in spec.fields.values() if c in table.columns})
    table = repair_mojibake(table, sources)
    # each mapped column cleaned once (NUL removed where there is one, whitespace stripped)
    with_nul = {c for c in sources if table.get_column(c).str.contains("\x00", literal=True).any()}
    table = table.with_columns([
        (pl.col(c).str.replace_all("\x00", "", literal=True) if c in with_nul else pl.col(c))
        .str.strip_chars().alias(f"__clean_{c}")
        for c in sources
    ])

    def field(name: str) -> pl.Expr:
        mapped = name in spec.fields and spec.fields[name] in table.columns
        expr = pl.col(f"__clean_{spec.fields[name]}") if mapped else pl.lit(None, dtype=pl.String)
        expr = pl.when(expr != "").then(expr).otherwise(None)
        if name in spec.values:
            expr = expr.replace(spec.values[name])
        if name in spec.constants:
            expr = pl.coalesce(expr, pl.lit(spec.constants[name], dtype=pl.String))
        return expr.cast(pl.String).alias(name)

    table = table.select(
        *[field(name) for name in CANONICAL_FIELDS],
        pl.lit(spec.name, dtype=pl.String).alias("source"),
        pl.lit(source_file_name(spec, path), dtype=pl.String).alias("source_file"),
        pl.col("row_number").cast(pl.Int64),
        pl.col("raw").cast(pl.String),
    )
    return table if table.get_column("row_number").is_sorted() else table.sort("row_number")
