/** Element types the readers understand; everything is widened to float32 in memory. */
export type DType = 'float32' | 'float16' | 'bfloat16' | 'float64';

/** A dense row-major float32 tensor. `sourceDType` records what the file stored. */
export interface Tensor {
  shape: number[];
  data: Float32Array;
  sourceDType?: DType;
}

export function numel(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

export function tensor(shape: number[], data: Float32Array): Tensor {
  if (numel(shape) !== data.length) {
    throw new Error(
      `tensor: shape [${shape.join(', ')}] needs ${numel(shape)} values, got ${data.length}`,
    );
  }
  return { shape, data };
}
