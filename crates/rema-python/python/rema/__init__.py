"""rema: meta-analysis with metafor's numbers, from Python.

    >>> import rema
    >>> res = rema.analyze(yi=[0.1, 0.3, 0.35, 0.5], vi=[0.01, 0.02, 0.015, 0.03])
    >>> round(res["estimate"], 4)
    0.2838

Every keyword that is an option of ``rema analyze`` (``rema.option_names()``:
``measure``, ``method``, ``test``, ``level``, ``by``, ``mods``,
``permutations``, ...) is read as that option, with the names, types and
defaults of the CLI's JSON spec; every other keyword is a column of study data,
named as metafor names it (``yi``, ``vi``, ``sei``, ``ai``, ``bi``, ``ci``,
``di``, ``n1i``, ``m1i``, ``sd1i``, ...). ``measure`` defaults to ``"GEN"``
when ``yi`` is given, as metafor's ``rma(yi, vi)``. The result is the dict that
``rema analyze --format json`` prints. Refusals raise :class:`RemaError`
(:class:`OptionError`, :class:`InputError`, :class:`EstimationError`) with the
CLI's message.

:func:`batch` is ``rema batch``: a long table of many analyses (a pyarrow
Table or RecordBatch, or anything with ``__arrow_c_stream__``) in, one row per
analysis out, as a pyarrow Table, through the Arrow C data interface.
"""

import json
import math

from . import _rema
from ._rema import EstimationError, InputError, OptionError, RemaError

__all__ = [
    "analyze",
    "analyze_table",
    "batch",
    "option_names",
    "RemaError",
    "OptionError",
    "InputError",
    "EstimationError",
    "__version__",
]

__version__ = _rema.version()

_OPTIONS = frozenset(_rema.option_names())


def option_names():
    """The keywords :func:`analyze` reads as options (all others are columns)."""
    return sorted(_OPTIONS)


def _cell(v):
    """One cell as the text a CSV file would hold (floats round-trip exactly)."""
    if v is None:
        return ""
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, float):
        return "" if math.isnan(v) else repr(v)
    if isinstance(v, int):
        return str(v)
    # numpy scalars, Decimal, pandas' NA and strings
    try:
        import numbers

        if isinstance(v, numbers.Integral):
            return str(int(v))
        if isinstance(v, numbers.Real):
            f = float(v)
            return "" if math.isnan(f) else repr(f)
    except (TypeError, ValueError):
        pass
    s = str(v)
    return "" if s in ("<NA>", "nan", "NaT") else s


def _column(name, values):
    if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
        raise InputError(
            f"column `{name}` must be a sequence with one value per study, not {type(values).__name__}"
            f" (or, if `{name}` is meant as an option, the options are: {', '.join(option_names())})"
        )
    return [_cell(v) for v in values]


def _spec(options):
    return json.dumps(options, allow_nan=False)


def _run(source, columns, options):
    if "measure" not in options:
        if "yi" in columns:
            # metafor's rma(yi, vi) default; the CLI asks for --measure GEN.
            options = dict(options, measure="GEN")
        else:
            raise OptionError(
                "option `measure` is missing: give measure= with metafor's name of the effect size"
                " (RR, OR, RD for 2x2 counts ai, bi, ci, di; SMD, MD for means; GEN for yi and vi)"
            )
    names = list(columns)
    cols = [_column(n, columns[n]) for n in names]
    return json.loads(_rema.analyze_columns(source, names, cols, _spec(options)))


def analyze(data=None, **kwargs):
    """Runs one meta-analysis; returns the CLI's JSON result as a dict.

    ``data`` may be a mapping of columns (a dict, a pandas DataFrame, a
    pyarrow Table); keywords that are not options add or replace columns.
    """
    columns = {}
    if data is not None:
        columns.update(_columns_of(data))
    options = {}
    for k, v in kwargs.items():
        if k in _OPTIONS:
            options[k] = v
        else:
            columns[k] = v
    return _run(_source_of(data), columns, options)


def analyze_table(table, **options):
    """Runs one meta-analysis on a table with metafor's column names.

    ``table`` is a pandas DataFrame, a pyarrow Table or a dict of columns;
    every keyword is an option (an unknown one raises :class:`OptionError`).
    """
    unknown = [k for k in options if k not in _OPTIONS]
    if unknown:
        raise OptionError(
            f"unknown option `{unknown[0]}`, expected one of "
            + ", ".join(f"`{o}`" for o in option_names())
        )
    return _run(_source_of(table), _columns_of(table), options)


def _source_of(data):
    if data is None:
        return "arguments"
    return type(data).__name__


def _columns_of(table):
    # pyarrow.Table / RecordBatch
    if hasattr(table, "column_names") and hasattr(table, "column"):
        return {n: table.column(n).to_pylist() for n in table.column_names}
    # pandas.DataFrame
    if hasattr(table, "columns") and hasattr(table, "__getitem__") and hasattr(table, "index"):
        return {str(n): table[n].tolist() for n in table.columns}
    if hasattr(table, "items"):
        return {str(k): v for k, v in table.items()}
    raise InputError(
        f"a table must be a pandas DataFrame, a pyarrow Table or a dict of columns, not {type(table).__name__}"
    )


def batch(
    table,
    group,
    measure="GEN",
    method="REML",
    test="z",
    pi_dist="test",
    level=95,
    add=None,
    to=None,
):
    """Pools many meta-analyses at once, as ``rema batch``: one row per study
    in, one row per analysis out.

    ``table`` is a long table with the ``group`` column(s) (a name or a list
    of names) telling the analyses apart and a measure's columns: ``yi`` with
    ``vi`` or ``sei`` (``measure="GEN"``), or raw data such as ``ai, bi, ci,
    di`` (``measure="OR"``). It is a pyarrow Table or RecordBatch, or any
    object with ``__arrow_c_stream__`` (polars, DuckDB, pandas >= 2.2, ...);
    its buffers are read in place through the Arrow C stream interface.
    Each group's rows must be together (sorted or grouped by ``group``).

    Returns a pyarrow Table with ``rema batch``'s columns, in the input's
    group order: the group columns, ``k, estimate, se, ci_lower, ci_upper,
    zval, pval, tau2, i2, h2, q, q_pval, pi_lower, pi_upper, iterations,
    converged, status, notes`` (a number that does not exist is null), bit
    for bit what ``rema batch`` writes for the same data and options. The
    options are ``rema batch``'s flags, with their defaults; refusals raise
    :class:`OptionError` or :class:`InputError` with the CLI's message.
    """
    import pyarrow as pa

    groups = [group] if isinstance(group, str) else list(group)
    if isinstance(table, pa.RecordBatch) and not hasattr(table, "__arrow_c_stream__"):
        table = pa.Table.from_batches([table])  # pyarrow < 15: no stream on a batch
    if not hasattr(table, "__arrow_c_stream__"):
        raise InputError(
            "a table for rema.batch must be a pyarrow Table or RecordBatch, or an object with"
            f" __arrow_c_stream__ (the Arrow PyCapsule interface), not {type(table).__name__}"
        )
    options = {"group": groups, "measure": measure, "method": method, "test": test,
               "pi_dist": pi_dist, "level": level}
    if add is not None:
        options["add"] = add
    if to is not None:
        options["to"] = to
    return _rema.batch_arrow(type(table).__name__, table, _spec(options))
