#!/usr/bin/env bash
# Builds the Python wheel (crates/rema-python, PyO3 + maturin, abi3) and runs
# its pytest suite against the CLI's JSON.
#   scripts/python.sh            # debug wheel, tests (what .ci/run runs)
#   scripts/python.sh --release  # an optimised wheel in target/wheels, tests
# It needs python3 with venv and pip, and the registry (PyPI) for maturin,
# pytest, pandas and pyarrow; dask is installed when it can be, and pyspark
# when `java -version` works and REMA_PYSPARK is not 0 (their tests are
# skipped otherwise). The virtualenv lives in target/python-venv. Its cost is
# in docs/PYTHON.md ("Tests").
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
profile=()
[ "${1:-}" = "--release" ] && profile=(--release)
venv=$root/target/python-venv
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/pip" install -q --disable-pip-version-check "maturin>=1.16,<2" pytest pandas pyarrow
"$venv/bin/pip" install -q --disable-pip-version-check "dask[dataframe]" 2>/dev/null \
  || echo "dask did not install; its example test will be skipped"
if [ "${REMA_PYSPARK:-1}" != 0 ] && java -version >/dev/null 2>&1; then
  "$venv/bin/pip" install -q --disable-pip-version-check pyspark 2>/dev/null \
    || echo "pyspark did not install; the Spark applyInArrow test will be skipped"
fi
# The CLI the tests compare with.
[ -x target/debug/rema ] || cargo build -q -p rema-cli
rm -rf target/wheels
(cd crates/rema-python && CARGO_TARGET_DIR=$root/target/rema-python \
  "$venv/bin/maturin" build -q "${profile[@]}" -o "$root/target/wheels")
"$venv/bin/pip" install -q --disable-pip-version-check --force-reinstall --no-deps target/wheels/rema-*.whl
REMA_BIN=$root/target/debug/rema "$venv/bin/python" -m pytest -q crates/rema-python/tests
