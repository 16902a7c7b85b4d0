#!/bin/sh
# Runs METAL on the golden suite's scripts and keeps its tables and its
# printed log (tests/golden/gwas/metal/). METAL is built from its public
# source (statgen/METAL, commit ab5d191, self-reported version 2020-05-05):
#   git clone https://github.com/statgen/METAL && cd METAL && mkdir build &&
#   cd build && cmake -DCMAKE_BUILD_TYPE=Release .. && make
# Usage (from anywhere): tests/golden/gwas/run_metal.sh path/to/metal
set -e
METAL=$(readlink -f "$1")
cd "$(dirname "$0")"
mkdir -p metal
for s in stderr_het stderr_fe stderr_gc samplesize; do
  "$METAL" "$s.metal" > "metal/$s.log" 2>&1
  rm -f "metal/${s}1.tbl.info"
done
