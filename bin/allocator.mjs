/**
 * glibc allocator settings for processes that batch T2L generations (`t2l serve`, the benchmark's
 * Node cases): no mmap for large blocks and freed memory kept, so a batch's outputs (over glibc's
 * 32 MiB mmap limit for Mistral-L batches of 8) reuse freed pages instead of faulting in new ones on
 * every run. Why and what it buys: docs/benchmarks.md, "Batching". glibc reads these at start only.
 */
export const GLIBC_ALLOCATOR = { MALLOC_MMAP_MAX_: '0', MALLOC_TRIM_THRESHOLD_: '4000000000' };
