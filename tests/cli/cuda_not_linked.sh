#!/bin/bash
# The CUDA backend is a module loaded on first use (model/core/cuda_module.h): pluma and the test programs
# beside it have no CUDA library among their NEEDED entries, while the module has them.
PLUMA=$1
set -u
if $PLUMA --version | grep -q "CPU only"; then echo "SKIP: this build has no CUDA backend"; exit 77; fi
command -v readelf >/dev/null || { echo "SKIP: no readelf"; exit 77; }
fails=0
check() { if ! eval "$2"; then echo "FAIL: $1"; fails=$((fails+1)); fi; }
needed() { readelf -d "$1" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'; }
cuda='^lib(cudart|cublas|cublasLt|nccl|cuda)\.so'

dir=$(dirname "$PLUMA")
check "the module is built beside pluma" "[ -f $dir/libpluma_cuda.so ]"
check "the module needs the CUDA runtime and cuBLAS (what the checks below look for)" \
  "needed $dir/libpluma_cuda.so | grep -Eq '^libcudart\.so' && needed $dir/libpluma_cuda.so | grep -Eq '^libcublas\.so'"
check "pluma's NEEDED entries are read" "needed $PLUMA | grep -q '^libc\.so'"
for f in "$PLUMA" "$dir"/test_*; do
  [ -f "$f" ] && [ -x "$f" ] || continue
  check "$(basename "$f") needs no CUDA library ($(needed "$f" | grep -E "$cuda" | tr '\n' ' '))" \
    "! needed '$f' | grep -Eq '$cuda'"
done
exit $fails
