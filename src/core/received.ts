/**
 * The bytes received so far. With the size known up front they go straight into one buffer, so a
 * 1.7 GB encoder is not held twice (chunks, then their concatenation). The one accumulator of
 * response bodies: core/files.ts readBody, the page's downloads (app/worker/downloads.ts) and the
 * Hub listings (core/hub/model-info.ts). Plain TypeScript: no DOM or Node API.
 */
export class Received {
  private buffer: Uint8Array | null = null;
  private chunks: Uint8Array[] = [];
  length = 0;

  /** Allocates the whole file once, before the first byte. */
  expect(total: number): void {
    if (this.length === 0 && !this.buffer) this.buffer = new Uint8Array(total);
  }

  push(value: Uint8Array): void {
    if (this.buffer && this.length + value.length <= this.buffer.length) {
      this.buffer.set(value, this.length);
    } else {
      // More than announced: keep what came, the size check afterwards decides.
      if (this.buffer) this.chunks.push(this.buffer.subarray(0, this.length));
      this.buffer = null;
      this.chunks.push(value);
    }
    this.length += value.length;
  }

  reset(): void {
    this.buffer = null;
    this.chunks = [];
    this.length = 0;
  }

  bytes(): Uint8Array {
    if (this.buffer) {
      return this.length === this.buffer.length ? this.buffer : this.buffer.slice(0, this.length);
    }
    if (this.chunks.length === 1) return this.chunks[0]!;
    const out = new Uint8Array(this.length);
    let offset = 0;
    for (const c of this.chunks) {
      out.set(c, offset);
      offset += c.length;
    }
    return out;
  }
}
