/** See allocator.mjs. */
export declare const GLIBC_ALLOCATOR: {
  readonly MALLOC_MMAP_MAX_: string;
  readonly MALLOC_TRIM_THRESHOLD_: string;
};
