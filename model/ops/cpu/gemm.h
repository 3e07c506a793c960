// The CPU backend's one GEMM entry point (oneDNN), shared by matmul and attention.
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>

namespace pluma::cpu {

// C = alpha * A · B [+ bias] [+ C] over up to two batch dimensions (b0, b1), with A: (M, K), B: (K, N),
// C: (M, N) per batch entry. Every operand is a strided view: element (b0, b1, i, j) of X is at
// X + b0 * s[0] + b1 * s[1] + i * s[2] + j * s[3], so head slices of fused buffers and transposes need no copy.
struct gemm_desc {
  int64_t batch0 = 1, batch1 = 1;
  int64_t M = 0, K = 0, N = 0;
  int64_t a_strides[4] = {0, 0, 0, 0};
  int64_t b_strides[4] = {0, 0, 0, 0};
  int64_t c_strides[4] = {0, 0, 0, 0};
  float alpha = 1.0f;       // not combined with bias
  bool bias = false;        // a bias (N) added to every row; unbatched only
  bool accumulate = false;  // C += ... rather than C = ...
  bool bf16 = false;        // A and B rounded to bfloat16 (nearest even), products accumulated in fp32; unbatched
  int threads = 0;          // set by gemm(): the OpenMP threads the primitive is made for and runs on
  bool operator==(const gemm_desc&) const = default;
};

// Row-major (rows, cols) matrix with leading dimension ld, read as is or transposed, in an unbatched desc.
inline void set_plain(int64_t s[4], int64_t ld, bool transposed) {
  s[0] = s[1] = 0;
  s[2] = transposed ? 1 : ld;
  s[3] = transposed ? ld : 1;
}

// Runs d on the given pointers. The oneDNN primitive for a desc is created on its first use and reused
// afterwards, so a warm call allocates nothing. Calls from several threads run one product at a time (a
// lock), except the two of gemm_side_by_side and those of run_lanes' lanes.
// Products below gemm_parallel_min_macs multiply-adds run on one thread: their parallel region would cost
// about what it saves, and much more when the other threads have gone to sleep (decoding's prefills come
// between long single-threaded stretches) or are descheduled on a loaded machine.
void gemm(const gemm_desc& d, const float* A, const float* B, const float* bias, float* C);

constexpr int64_t gemm_parallel_min_macs = int64_t(1) << 22;

// Rounds in: (n) to bfloat16 (round to nearest even), the bits of out: (n).
void to_bf16(uint16_t* out, const float* in, size_t n);
// The floats out: (n) whose bfloat16 bits are in: (n) (exact: a bf16 is the high half of a float).
void from_bf16(float* out, const uint16_t* in, size_t n);

// Runs first() and second(), two products independent of each other and of about the same size (macs each),
// at once, each on its own thread and unsplit, when the process computes on exactly two threads and they are
// worth it; then neither waits at a barrier inside, and oneDNN runs each at its one-core speed (bench_gemm,
// bf16: 220 GFLOP/s a core alone against 170-200 split over two). Else one after the other: with more threads
// each product keeps all of them (oneDNN would run a product inside a team of threads on one thread). The gemm()
// calls inside run on their thread alone. Returns whether they ran side by side; an exception in either is
// thrown here, after both.
bool gemm_side_by_side(int64_t macs, const std::function<void()>& first, const std::function<void()>& second);
// Whether gemm_side_by_side(macs, ...) called here would run its two products side by side.
bool gemm_side_by_side_runs(int64_t macs);

// When a product of (M, K, N) split by rows is worth running side by side (gemm_side_by_side_runs of the smaller
// half's multiply-adds, both halves at least gemm_rows_half_min rows), runs rows(0, half) and rows(half, M) so,
// half a multiple of 16, and returns true; else runs nothing and returns false. The halves' products run
// unsplit, each at its one-core speed, where oneDNN splitting one product over two threads runs slower
// (bench_gemm: 79-90% at the GPT's forward shapes), and work that follows on the same rows (an epilogue) runs on
// the core whose cache holds them. Halves of fewer rows would go to other kernels (a single row to a
// matrix-vector one), whose sums may round differently: a row's bits would depend on the thread count.
bool gemm_rows_side_by_side(int64_t M, int64_t K, int64_t N, const std::function<void(int64_t, int64_t)>& rows);
constexpr int64_t gemm_rows_half_min = 64;

// Data parallel lanes: runs lane(k) for every k in [0, n), n <= lanes_max, each lane on one thread that
// computes alone (its ops unsplit, its products on that thread and not waiting for other threads' products):
// on min(n, the thread count) OpenMP threads, thread t running lanes t, t + threads, ... in order; on the calling
// thread alone, in lane order, inside a parallel region or a lane. Returns the threads that ran; an exception in
// a lane is thrown here, after all lanes.
int run_lanes(int n, const std::function<void(int)>& lane);
constexpr int lanes_max = 16;

// Number of primitives created so far (for tests of the cache).
size_t gemm_primitive_count();

}  // namespace pluma::cpu
