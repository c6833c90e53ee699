import polars as pl

from market_intel.export import neutralise_formulas, write_safe_csv


def test_spreadsheet_formula_prefixes_are_neutralised_in_text_but_numbers_are_kept():
    frame = pl.DataFrame({
        "title": ["=HYPERLINK(\"http://x\")", "+1+1", "-2+3", "@SUM(A1)", "\tcmd", "Data Scientist", None],
        "pay": [-5.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
    })
    out = neutralise_formulas(frame)
    assert out["title"].to_list() == ["'=HYPERLINK(\"http://x\")", "'+1+1", "'-2+3", "'@SUM(A1)", "'\tcmd",
                                      "Data Scientist", None]
    assert out["pay"].to_list() == frame["pay"].to_list()
    assert frame["title"][0].startswith("=")  # the input is not changed


def test_safe_csv_flattens_lists_and_neutralises_them(tmp_path):
    frame = pl.DataFrame({"skills": [["=cmd", "Python"]], "n": [1]})
    path = write_safe_csv(frame, tmp_path / "x.csv")
    text = path.read_text()
    assert "'=cmd; Python" in text
    back = pl.read_csv(path)
    assert back["n"].to_list() == [1]
