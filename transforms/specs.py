"""Source specs: one YAML file per raw source that maps its columns onto the canonical fields.

A spec is validated when it is loaded, so that a bad spec fails fast (CLI exit 2) with one line
naming the file and the field, before any data is read. Paths are globs relative to the spec
file unless absolute.
"""
from __future__ import annotations

import glob
import re
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

CANONICAL_FIELDS: tuple[str, ...] = (
    "job_title", "pay", "pay_min", "pay_max", "pay_text", "currency", "country", "location",
    "year", "date", "seniority", "skills", "certifications", "description", "company",
    "record_id", "employment_type", "remote_ratio", "pay_period",
)
SPEC_KEYS: tuple[str, ...] = (
    "name", "kind", "format", "path", "fields", "constants", "values", "encoding", "delimiter",
)


class SpecLoader(yaml.SafeLoader):
    """YAML's safe loader with YAML 1.2 booleans: only true/false are booleans.

    YAML 1.1 (PyYAML's default) reads yes/no/on/off/y/n as booleans, so `country: NO` (Norway)
    became "False" and a column named `on` became "True"; in a spec every other word is text.
    """


SpecLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
SpecLoader.add_implicit_resolver("tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
                                 list("tTfF"))


class SpecError(ValueError):
    """A spec that cannot be used; str() is one line naming the file and the field."""

    def __init__(self, file: str | Path, field: str, message: str):
        self.file = str(file)
        self.field = field
        self.message = message
        super().__init__(f"{self.file}: field '{field}': {message}")


def _scalar_as_text(value):
    """A YAML number, date or boolean as its text; a list, mapping or null is left for the model to
    refuse ("Input should be a valid string" naming the field), not turned into "['a', 'b']" or "None"."""
    return value if value is None or isinstance(value, (list, dict)) else str(value)


class SourceSpec(BaseModel):
    """One raw source: where its files are, how to read them and which column means what."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[a-z0-9_]+$")
    kind: Literal["salary_report", "job_posting"]
    format: Literal["csv", "jsonl", "parquet"]
    path: str
    fields: dict[str, str]
    constants: dict[str, str] = Field(default_factory=dict)
    values: dict[str, dict[str, str]] = Field(default_factory=dict)
    encoding: Literal["auto", "utf-8", "latin-1", "cp1252"] = "auto"
    delimiter: str = Field(",", min_length=1, max_length=1)
    # where the spec file lives (relative globs are resolved against it); not part of the YAML
    base_dir: Path = Path(".")
    # the spec file itself, named in errors found later (e.g. a mapped column missing from a file)
    spec_file: Path | None = None

    @field_validator("constants", mode="before")
    @classmethod
    def _constants_as_text(cls, value):
        """YAML turns `year: 2020` into an int; staged columns are text, so constants are too."""
        if isinstance(value, dict):
            return {k: _scalar_as_text(v) for k, v in value.items()}
        return value

    @field_validator("fields", mode="before")
    @classmethod
    def _columns_as_text(cls, value):
        if isinstance(value, dict):
            return {k: _scalar_as_text(v) for k, v in value.items()}
        return value

    @field_validator("values", mode="before")
    @classmethod
    def _values_as_text(cls, value):
        if isinstance(value, dict):
            return {k: ({str(a): _scalar_as_text(b) for a, b in (m or {}).items()} if isinstance(m, dict) else m)
                    for k, m in value.items()}
        return value

    @model_validator(mode="after")
    def _canonical_and_complete(self) -> "SourceSpec":
        for section in ("fields", "constants", "values"):
            for key in getattr(self, section):
                if key not in CANONICAL_FIELDS:
                    raise ValueError(f"{section}.{key}|unknown canonical field (known: {', '.join(CANONICAL_FIELDS)})")
        have = set(self.fields) | set(self.constants)
        if "job_title" not in self.fields:
            raise ValueError("fields.job_title|required: the column holding the job title")
        if not ({"pay", "pay_text"} & set(self.fields) or {"pay_min", "pay_max"} <= set(self.fields)):
            raise ValueError("fields.pay|required: map pay, or pay_min and pay_max, or pay_text")
        if not {"country", "location"} & have:
            raise ValueError("fields.country|required: map country or location (or a constant)")
        if not {"year", "date"} & have:
            raise ValueError("fields.year|required: map year or date (or a constant)")
        return self

    def provides(self, field: str) -> bool:
        """True when the staged frame will carry this canonical column (mapped or constant)."""
        return field in self.fields or field in self.constants

    @property
    def label(self) -> str:
        """How errors name this spec: its file when loaded from one, else its name."""
        return str(self.spec_file) if self.spec_file else f"spec {self.name}"

    def pattern(self) -> str:
        """The glob, made absolute against the spec's folder (as shown in errors)."""
        path = Path(self.path)
        return str(path if path.is_absolute() else self.base_dir / path)

    def glob_pattern(self) -> str:
        """`pattern()` as glob reads it: the spec's folder taken literally (glob.escape), only `path`
        a pattern. A folder named 'market [2026]' had matched nothing ('[2026]' read as a character
        class) and one named 'run[1]' had read a sibling folder 'run1''s files in its place."""
        path = Path(self.path)
        return str(path if path.is_absolute() else Path(glob.escape(str(self.base_dir))) / path)


def _pydantic_error(file: Path, error: ValidationError) -> SpecError:
    first = error.errors()[0]
    loc = ".".join(str(p) for p in first["loc"]) or "spec"
    message = str(first["msg"]).removeprefix("Value error, ")
    if "|" in message:  # our model validator: "field|message"
        loc, message = message.split("|", 1)
    elif first["type"] == "extra_forbidden":
        message = f"unknown key (known: {', '.join(SPEC_KEYS)})"
    elif first["type"] == "missing":
        message = "required"
    return SpecError(file, loc, message)


def load_spec(path: str | Path) -> SourceSpec:
    """Read and validate one spec file; raise SpecError naming the file and field when unusable."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SpecError(path, "spec", f"cannot read: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise SpecError(path, "spec", f"not UTF-8 text: {exc.reason} at byte {exc.start}") from exc
    try:
        doc = yaml.load(text, Loader=SpecLoader)  # noqa: S506 - SpecLoader is a SafeLoader
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise SpecError(path, "spec", f"YAML syntax error{where}: {getattr(exc, 'problem', exc)}") from exc
    if not isinstance(doc, dict):
        raise SpecError(path, "spec", "expected a mapping of keys (name, kind, format, path, fields)")
    for internal in ("base_dir", "spec_file"):
        if internal in doc:
            raise SpecError(path, internal, f"unknown key (known: {', '.join(SPEC_KEYS)})")
    try:
        spec = SourceSpec(**doc, base_dir=path.resolve().parent, spec_file=path)
    except ValidationError as exc:
        raise _pydantic_error(path, exc) from exc
    except TypeError as exc:
        raise SpecError(path, "spec", str(exc)) from exc
    matches = _matches(spec)
    if not any(match.is_file() for match in matches):
        raise SpecError(path, "path", f"glob {spec.path!r} matches no file (looked for {spec.pattern()})")
    broken = [match for match in matches if match.is_symlink() and not match.exists()]
    if broken:  # a raw file whose rows cannot be read is refused, not skipped unseen (folders are not files)
        raise SpecError(path, "path", f"glob {spec.path!r} matches {broken[0]}, a link to a missing file"
                        + (f" (and {len(broken) - 1} more)" if len(broken) > 1 else ""))
    for match in matches:  # one that cannot be opened is refused here, not after the staging task's retries
        if match.is_file():
            try:
                with open(match, "rb"):
                    pass
            except OSError as exc:
                raise SpecError(path, "path", f"glob {spec.path!r} matches {match}, which cannot be read: "
                                f"{exc.strerror}") from exc
    return spec


def check_unique_names(specs: list[SourceSpec]) -> None:
    """Source names are unique within a run (rows, rejects and accounting are keyed by them): two specs
    of one name summed their files under it and failed the run on the row accounting (exit 1)."""
    seen: dict[str, SourceSpec] = {}
    for spec in specs:
        if spec.name in seen:
            raise SpecError(spec.label, "name", f"{spec.name!r} is also the name of {seen[spec.name].label}: "
                            "each source of a run needs its own name")
        seen[spec.name] = spec


def _matches(spec: SourceSpec) -> list[Path]:
    return sorted(Path(p) for p in glob.glob(spec.glob_pattern(), recursive=True))


def source_file_name(spec: SourceSpec, path: str | Path) -> str:
    """How rows name the raw file they came from (`source_file`, part of the rows' grain): its path below
    the glob's fixed folder, '/'-separated. For the usual `raw/x/*.csv` that is the file's name; a glob
    reaching into sub-folders (`raw/**/*.csv`) names '2024/part.csv' and '2025/part.csv', where the bare
    name gave two files one name and their rows one grain (a failed row accounting)."""
    path = Path(path)
    pattern = Path(spec.path)
    fixed: list[str] = []
    for part in pattern.parts:
        if glob.has_magic(part):
            break
        fixed.append(part)
    else:  # no wildcard: the path names one file
        fixed = fixed[:-1]
    root = Path(*fixed) if pattern.is_absolute() else spec.base_dir.joinpath(*fixed)
    for file, folder in ((path, root), (path.resolve(), root.resolve())):
        try:
            return file.relative_to(folder).as_posix()
        except ValueError:
            continue
    return path.name


def resolve_files(spec: SourceSpec) -> list[Path]:
    """The spec's raw files, sorted so that runs read them in a stable order."""
    return [match for match in _matches(spec) if match.is_file()]
