"""rema.batch against `rema batch`: the same table, the same options, the same
bits; the Arrow C stream read in place; Dask and Spark examples.

The CLI binary is `$REMA_BIN` (as in test_rema.py). Each comparison writes the
table as Parquet, runs `rema batch FILE --output OUT.parquet` and compares the
Parquet it writes with the pyarrow Table rema.batch returns, column by column
and float by float on the bits (rema batch's rows are checked against `rema
analyze`, bit for bit, by crates/rema-cli/tests/batch.rs, and those against
metafor by the golden suites).
"""

import os
import pathlib
import random
import struct
import subprocess
import sys

import pytest

import rema

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")

ROOT = pathlib.Path(__file__).resolve().parents[3]
REMA = os.environ.get("REMA_BIN", str(ROOT / "target" / "debug" / "rema"))


def long_table(groups, seed, var="vi", key="snp", int_key=False):
    """A long table of `groups` analyses of 1 to 9 studies (deterministic): a
    column `key` (text rs0001... or integers), `study`, `yi` and `vi` or
    `sei`; every 5th group homogeneous; the first `yi` of group 3 (of at
    least 3 studies) missing."""
    r = random.Random(seed)
    keys, study, yi, v = [], [], [], []
    for g in range(groups):
        k = 1 + int(r.random() * 9)
        if g == 3:
            k = max(k, 3)
        tau = 0.0 if g % 5 == 0 else 0.6 * r.random()
        for i in range(k):
            vi = 0.01 + 0.3 * r.random()
            y = 0.2 + tau * (r.random() - 0.5) + vi ** 0.5 * (r.random() - 0.5)
            keys.append(g if int_key else f"rs{g:04d}")
            study.append(f"s{i}")
            yi.append(None if (g == 3 and i == 0) else y)
            v.append(vi ** 0.5 if var == "sei" else vi)
    return pa.table({key: keys, "study": study, "yi": pa.array(yi, pa.float64()), var: v})


def counts_table(groups, seed):
    """2x2 counts ai, bi, ci, di per study, some zero cells, grouped by two keys."""
    r = random.Random(seed)
    cols = {"outcome": [], "site": [], "ai": [], "bi": [], "ci": [], "di": []}
    for g in range(groups):
        for i in range(2 + int(r.random() * 6)):
            n1, n2 = 20 + int(r.random() * 80), 20 + int(r.random() * 80)
            a = int(r.random() * n1 * 0.3) if (g + i) % 4 else 0
            c = int(r.random() * n2 * 0.4)
            cols["outcome"].append(f"o{g % 3}")
            cols["site"].append(g)
            cols["ai"].append(a)
            cols["bi"].append(n1 - a)
            cols["ci"].append(c)
            cols["di"].append(n2 - c)
    return pa.table(cols)


def cli_batch(tmp_path, table, *args):
    """`rema batch` on `table` written as Parquet: its output as a pyarrow Table."""
    src = tmp_path / "in.parquet"
    out = tmp_path / "out.parquet"
    pq.write_table(table, src)
    subprocess.run([REMA, "batch", str(src), "--output", str(out), *args], check=True,
                   capture_output=True, text=True)
    return pq.read_table(out)


def cli_error(tmp_path, table, *args):
    src = tmp_path / "in.parquet"
    pq.write_table(table, src)
    out = subprocess.run([REMA, "batch", str(src), *args], capture_output=True, text=True)
    assert out.returncode != 0
    return out.stderr.strip()


def bits(values):
    """Floats by their bits (None stays None): equal lists are equal bit for bit."""
    return [None if v is None else struct.pack("<d", v) for v in values]


def assert_same(got, want):
    assert got.column_names == want.column_names
    assert got.num_rows == want.num_rows
    for name in want.column_names:
        g, w = got.column(name), want.column(name)
        assert g.type == w.type, name
        if pa.types.is_floating(w.type):
            assert bits(g.to_pylist()) == bits(w.to_pylist()), name
        else:
            assert g.to_pylist() == w.to_pylist(), name


@pytest.mark.parametrize(
    "options, flags",
    [
        ({}, []),
        ({"method": "DL", "test": "knha"}, ["--method", "DL", "--test", "knha"]),
        ({"method": "PM", "level": 90, "pi_dist": "t"}, ["--method", "PM", "--level", "90", "--pi-dist", "t"]),
        ({"method": "FE"}, ["--method", "FE"]),
        ({"method": "SJ", "test": "adhoc"}, ["--method", "SJ", "--test", "adhoc"]),
    ],
)
def test_batch_equals_cli_bit_for_bit(tmp_path, options, flags):
    table = long_table(120, seed=len(flags) + 1)
    got = rema.batch(table, group="snp", **options)
    want = cli_batch(tmp_path, table, "--group", "snp", *flags)
    assert_same(got, want)
    assert got.num_rows == 120
    notes = got.column("notes").to_pylist()
    assert "dropped_missing=1" in notes[3]


def test_sei_integer_keys_and_record_batches_equal_cli(tmp_path):
    table = long_table(60, seed=11, var="sei", key="gene", int_key=True)
    want = cli_batch(tmp_path, table, "--group", "gene", "--method", "ML")
    assert_same(rema.batch(table, group="gene", method="ML"), want)
    assert got_type(want, "gene") == pa.int64()
    # One RecordBatch, and a table of several chunks, give the same rows.
    batch = table.combine_chunks().to_batches()[0]
    assert_same(rema.batch(batch, group="gene", method="ML"), want)
    chunked = pa.Table.from_batches(table.to_batches(max_chunksize=37))
    assert len(chunked.to_batches()) > 1
    assert_same(rema.batch(chunked, group=["gene"], method="ML"), want)


def got_type(table, name):
    return table.schema.field(name).type


def test_raw_counts_with_two_keys_and_a_correction_equal_cli(tmp_path):
    table = counts_table(40, seed=5)
    args = ["--group", "outcome", "--group", "site", "--measure", "OR", "--method", "DL"]
    assert_same(rema.batch(table, group=["outcome", "site"], measure="OR", method="DL"),
                cli_batch(tmp_path, table, *args))
    assert_same(rema.batch(table, group=["outcome", "site"], measure="RR", method="REML", add=0.25, to="all"),
                cli_batch(tmp_path, table, "--group", "outcome", "--group", "site", "--measure", "RR",
                          "--add", "0.25", "--to", "all"))


def test_refusals_raise_typed_errors_with_the_cli_message(tmp_path):
    table = long_table(10, seed=3)
    # Options rema batch refuses: OptionError with the CLI's message.
    with pytest.raises(rema.OptionError) as e:
        rema.batch(table, group="snp", method="MH")
    assert str(e.value) in cli_error(tmp_path, table, "--group", "snp", "--method", "MH")
    with pytest.raises(rema.OptionError) as e:
        rema.batch(table, group="snp", add=0.5)
    assert str(e.value) in cli_error(tmp_path, table, "--group", "snp", "--add", "0.5")
    with pytest.raises(rema.OptionError, match="option `method`: unknown"):
        rema.batch(table, group="snp", method="XYZ")
    with pytest.raises(rema.OptionError, match="level"):
        rema.batch(table, group="snp", level=120)
    # Data rema batch refuses: InputError, the message naming the table
    # (`Table` for rema.batch, the file for the CLI), row, column and group.
    bad = table.set_column(3, "vi", pa.array([-0.1] + table.column("vi").to_pylist()[1:]))
    with pytest.raises(rema.InputError) as e:
        rema.batch(bad, group="snp")
    cli = cli_error(tmp_path, bad, "--group", "snp")
    where, what = str(e.value).split(": ", 1)
    assert where == "Table, row 1, column `vi`, group snp=rs0000"
    assert "in.parquet" + where[len("Table"):] + ": " + what in cli, cli
    unsorted = pa.concat_tables([table.slice(5), table.slice(0, 5)])
    if unsorted.column("snp")[0] != unsorted.column("snp")[unsorted.num_rows - 1]:
        with pytest.raises(rema.InputError, match="this group appeared before"):
            rema.batch(unsorted, group="snp")
    with pytest.raises(rema.InputError, match="no column `yi`"):
        rema.batch(table.drop_columns(["yi"]), group="snp")
    with pytest.raises(rema.InputError, match="pyarrow Table or RecordBatch"):
        rema.batch({"snp": [1]}, group="snp")


def test_empty_table_gives_the_output_schema():
    table = long_table(3, seed=1).slice(0, 0)
    out = rema.batch(table, group="snp")
    assert out.num_rows == 0
    assert out.column_names[:3] == ["snp", "k", "estimate"]
    assert out.schema.field("estimate").type == pa.float64()


def test_large_table_is_read_in_place():
    """A million studies through the C stream interface: pyarrow allocates
    nothing the size of the input (no pandas or Python conversion, no copy
    of its buffers; the result's buffers are Rust's), and pandas is not
    imported to do it."""
    n_groups, k = 100_000, 10
    import numpy as np

    rng = np.random.default_rng(1)
    vi = 0.01 + 0.3 * rng.random(n_groups * k)
    table = pa.table({
        "g": np.repeat(np.arange(n_groups, dtype=np.int64), k),
        "yi": rng.normal(0.2, 0.3, n_groups * k),
        "vi": vi,
    })
    input_bytes = table.nbytes
    before = pa.total_allocated_bytes()
    out = rema.batch(table, group="g", method="DL")
    grew = pa.total_allocated_bytes() - before
    assert out.num_rows == n_groups
    assert out.column("k").to_pylist()[:3] == [k, k, k]
    assert grew < input_bytes / 100, (grew, input_bytes)
    # The first group alone gives the same estimate, bit for bit.
    first = rema.batch(table.slice(0, k), group="g", method="DL")
    assert struct.pack("<d", first.column("estimate")[0].as_py()) == struct.pack(
        "<d", out.column("estimate")[0].as_py()
    )


def test_pandas_is_not_needed():
    """rema.batch imports no pandas: with every later `import pandas` made to
    fail (pyarrow's own table constructor may look for it first), it works."""
    code = (
        "import sys\n"
        "import pyarrow as pa, rema\n"
        "t = pa.table({'g': [1, 1, 2, 2], 'yi': [0.1, 0.3, 0.2, 0.5], 'vi': [0.01, 0.02, 0.03, 0.01]})\n"
        "for m in [m for m in sys.modules if m == 'pandas' or m.startswith('pandas.')]:\n"
        "    del sys.modules[m]\n"
        "sys.modules['pandas'] = None  # any `import pandas` now fails\n"
        "out = rema.batch(t, group='g')\n"
        "assert out.num_rows == 2 and out.column('k').to_pylist() == [2, 2]\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_dask_map_partitions_with_batch():
    """Dask: each partition a pandas frame of whole groups, pooled by
    rema.batch; the same rows as one rema.batch over the whole table."""
    dd = pytest.importorskip("dask.dataframe", reason="dask is not installed (scripts/python.sh installs it when it can)")
    pd = pytest.importorskip("pandas")
    table = long_table(80, seed=9)
    df = table.to_pandas()
    # Partitions on the group column keep each group's rows together.
    ddf = dd.from_pandas(df.set_index("snp"), npartitions=4, sort=True)
    meta = rema.batch(table.slice(0, 0), group="snp").to_pandas()

    def pool(part):
        part = part.reset_index()
        return rema.batch(pa.Table.from_pandas(part, preserve_index=False), group="snp").to_pandas()

    got = ddf.map_partitions(pool, meta=meta).compute().reset_index(drop=True)
    want = rema.batch(table, group="snp").to_pandas()
    assert ddf.npartitions > 1
    pd.testing.assert_frame_equal(got, want, check_exact=True)


def test_spark_apply_in_arrow():
    """Spark: groupBy(key).applyInArrow with rema.batch on each group's Arrow
    table (docs/PYTHON.md's example), in local mode; the same rows as
    rema.batch over the whole table. Skipped without pyspark or java."""
    pyspark = pytest.importorskip("pyspark", reason="pyspark is not installed (scripts/python.sh installs it when java is there and PyPI answers)")
    if int(pyspark.__version__.split(".")[0]) < 4:
        pytest.skip(f"pyspark {pyspark.__version__}: the test builds its frame from Arrow, which needs pyspark >= 4")
    if subprocess.run(["java", "-version"], capture_output=True).returncode != 0:
        pytest.skip("no java: Spark's local mode needs a JVM")
    os.environ["PYSPARK_PYTHON"] = sys.executable
    os.environ["PYSPARK_DRIVER_PYTHON"] = sys.executable
    from pyspark.sql import SparkSession

    spark = (
        SparkSession.builder.master("local[2]")
        .appName("rema-test")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .getOrCreate()
    )
    try:
        table = long_table(30, seed=4).drop_columns(["study"])
        # From Arrow (pyspark >= 4), so a missing yi stays null, not NaN.
        sdf = spark.createDataFrame(table)
        schema = rema.batch(table.slice(0, 0), group="snp").schema

        def pool(group: pa.Table) -> pa.Table:
            return rema.batch(group, group="snp", method="REML")

        from pyspark.sql.pandas.types import from_arrow_schema

        got = sdf.groupBy("snp").applyInArrow(pool, from_arrow_schema(schema)).toArrow()
        got = got.sort_by("snp").cast(schema)
        want = rema.batch(table, group="snp", method="REML")
        assert_same(got, want)
    finally:
        spark.stop()
