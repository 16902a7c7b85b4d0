"""The wheel against the CLI: same options, same numbers, same messages.

The CLI binary is `$REMA_BIN`, or the workspace's target/debug/rema (built by
`cargo test`, which `.ci/run` runs first). Each test compares the wheel with
what `rema analyze --format json` prints for the same data, so the wheel's
numbers are those the golden suites check against metafor.
"""

import csv
import hashlib
import io
import json
import math
import os
import pathlib
import subprocess

import pytest

import rema

ROOT = pathlib.Path(__file__).resolve().parents[3]
BCG = ROOT / "examples" / "bcg" / "bcg.csv"
REMA = os.environ.get("REMA_BIN", str(ROOT / "target" / "debug" / "rema"))


def cli(path, *args):
    out = subprocess.run(
        [REMA, "analyze", str(path), "--format", "json", *args],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout)


def cli_error(path, *args):
    out = subprocess.run([REMA, "analyze", str(path), *args], capture_output=True, text=True)
    assert out.returncode != 0
    return out.stderr


def without_source(res):
    """The result without what names the input (its name and hash)."""
    res = json.loads(json.dumps(res))
    res["provenance"].pop("input", None)
    res["provenance"].pop("input_sha256", None)
    return res


def write_csv(tmp_path, columns):
    path = tmp_path / "data.csv"
    with open(path, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        names = list(columns)
        w.writerow(names)
        for row in zip(*(columns[n] for n in names)):
            w.writerow(["" if v is None else (repr(v) if isinstance(v, float) else v) for v in row])
    return path


def test_bcg_dataframe_equals_cli():
    pd = pytest.importorskip("pandas")
    df = pd.read_csv(BCG)
    got = rema.analyze_table(df, measure="RR", method="REML")
    want = cli(BCG, "--measure", "RR", "--method", "REML")
    assert without_source(got) == without_source(want)
    assert got["k"] == 13
    assert got["provenance"]["input"] == "DataFrame"


def test_subgroups_moderators_and_resampling_options_equal_cli():
    pd = pytest.importorskip("pandas")
    df = pd.read_csv(BCG)
    got = rema.analyze_table(
        df, measure="RR", method="DL", test="knha", mods=["ablat"], permutations=200, seed=7
    )
    want = cli(
        BCG, "--measure", "RR", "--method", "DL", "--test", "knha", "--mods", "ablat",
        "--permutations", "200", "--seed", "7",
    )
    assert without_source(got) == without_source(want)
    got = rema.analyze_table(df, measure="OR", by="alloc")
    want = cli(BCG, "--measure", "OR", "--by", "alloc")
    assert without_source(got) == without_source(want)


def test_keyword_columns_and_input_hash(tmp_path):
    yi = [-0.889, -1.585, -1.348, -1.442, -0.218, -0.786, -1.621, 0.012, -0.469, -1.371, -0.339, 0.446, -0.017]
    vi = [0.326, 0.195, 0.415, 0.02, 0.051, 0.007, 0.223, 0.004, 0.056, 0.073, 0.012, 0.532, 0.071]
    got = rema.analyze(yi=yi, vi=vi, method="PM", level=90)
    path = write_csv(tmp_path, {"yi": yi, "vi": vi})
    want = cli(path, "--measure", "GEN", "--method", "PM", "--level", "90")
    assert without_source(got) == without_source(want)
    # The hash is that of the table written as CSV (LF, minimal quoting),
    # so the same data saved by Python's csv module hashes the same.
    assert got["provenance"]["input_sha256"] == want["provenance"]["input_sha256"]
    assert got["provenance"]["input_sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()


def test_pyarrow_table_and_dict_of_columns():
    pa = pytest.importorskip("pyarrow")
    pd = pytest.importorskip("pandas")
    df = pd.read_csv(BCG)
    t = pa.Table.from_pandas(df, preserve_index=False)
    a = rema.analyze_table(t, measure="RR")
    b = rema.analyze_table({c: df[c].tolist() for c in df.columns}, measure="RR")
    assert without_source(a)["estimate"] == without_source(b)["estimate"]
    assert a["estimate"] == pytest.approx(-0.7145323, abs=1e-7)  # metafor rma(RR, REML) on dat.bcg


def test_missing_cells_are_reported_as_the_cli_reports_them(tmp_path):
    yi = [0.1, None, 0.3, 0.2, float("nan")]
    vi = [0.01, 0.02, 0.03, 0.02, 0.01]
    got = rema.analyze(yi=yi, vi=vi, missing="omit")
    path = write_csv(tmp_path, {"yi": [0.1, None, 0.3, 0.2, None], "vi": vi})
    want = cli(path, "--measure", "GEN", "--missing", "omit")
    assert without_source(got) == without_source(want)
    assert got["k"] == 3


def test_errors_are_typed_and_carry_the_cli_message(tmp_path):
    with pytest.raises(rema.OptionError) as e:
        rema.analyze(yi=[0.1, 0.2], vi=[0.01, 0.02], method="XYZ")
    assert "method" in str(e.value)
    with pytest.raises(rema.OptionError):
        rema.analyze_table({"yi": [0.1], "vi": [0.1]}, methd="DL")
    with pytest.raises(rema.InputError) as e:
        rema.analyze(yi=[0.1, 0.2, 0.3], vi=[0.01, -0.02, 0.03])
    path = write_csv(tmp_path, {"yi": [0.1, 0.2, 0.3], "vi": [0.01, -0.02, 0.03]})
    cli_msg = cli_error(path, "--measure", "GEN")
    # The same sentence, but for the name of the source.
    assert str(e.value).replace("arguments", "X") in cli_msg.replace(str(path), "X")
    with pytest.raises(rema.InputError):
        rema.analyze(yi=[0.1, 0.2], vi=[0.01])
    with pytest.raises(rema.OptionError) as e:
        rema.analyze(ai=[1, 2], bi=[9, 8], ci=[3, 4], di=[7, 6])
    assert "measure" in str(e.value)
    assert issubclass(rema.OptionError, ValueError)


def test_dask_map_partitions_example():
    """A documented pattern: one analysis per partition of a Dask frame."""
    dd = pytest.importorskip("dask.dataframe")
    pd = pytest.importorskip("pandas")
    df = pd.read_csv(BCG)
    ddf = dd.from_pandas(df, npartitions=1)
    out = ddf.map_partitions(
        lambda part: pd.DataFrame([{"estimate": rema.analyze_table(part, measure="RR")["estimate"]}]),
        meta={"estimate": "f8"},
    ).compute()
    assert out["estimate"].iloc[0] == pytest.approx(-0.7145323, abs=1e-7)


def test_version_matches_cli():
    out = subprocess.run([REMA, "--version"], capture_output=True, text=True, check=True)
    assert rema.__version__ in out.stdout
