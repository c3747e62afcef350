/**
 * Dynamic batching for one model: task embeddings of requests that arrive while the model's
 * session is busy are merged into its next run (up to `maxRows` rows), and each request gets its
 * own rows of every output back. There is never an added wait: a lone request runs at once. One
 * run per model at a time, so a burst of single-row requests costs a few batched runs, not one
 * run each (the weights are read once per run: most of the cost for the larger T2L-L heads).
 */
import { TASK_EMB } from '../core/remote/oip';
import type { FloatTensor, InferenceRunner } from '../core/runtime/types';

interface Pending {
  emb: FloatTensor;
  rows: number;
  resolve: (out: Record<string, FloatTensor>) => void;
  reject: (e: unknown) => void;
}

export class ModelBatcher {
  private readonly pending: Pending[] = [];
  private busy = false;
  /** Rows in each run so far (tests and logs). */
  readonly runSizes: number[] = [];

  constructor(
    private readonly runner: InferenceRunner,
    private readonly maxRows: number,
  ) {}

  /** The batcher as an InferenceRunner (for generateAdapters); task_emb is its only feed. */
  asRunner(): InferenceRunner {
    const { runner } = this;
    return {
      backend: runner.backend,
      inputNames: runner.inputNames,
      outputNames: runner.outputNames,
      run: (feeds) => this.run(feeds[TASK_EMB]!),
      release: async () => {},
    };
  }

  /** Runs the graph for `emb` ([n, E]), possibly together with other requests' rows. */
  run(emb: FloatTensor): Promise<Record<string, FloatTensor>> {
    return new Promise((resolve, reject) => {
      this.pending.push({ emb, rows: emb.dims[0]!, resolve, reject });
      void this.pump();
    });
  }

  private async pump(): Promise<void> {
    if (this.busy || this.pending.length === 0) return;
    this.busy = true;
    const batch: Pending[] = [this.pending.shift()!];
    let rows = batch[0]!.rows;
    while (this.pending.length > 0 && rows + this.pending[0]!.rows <= this.maxRows) {
      const p = this.pending.shift()!;
      batch.push(p);
      rows += p.rows;
    }
    try {
      const width = batch[0]!.emb.dims[1]!;
      let data = batch[0]!.emb.data;
      if (batch.length > 1) {
        data = new Float32Array(rows * width);
        let at = 0;
        for (const p of batch) {
          data.set(p.emb.data, at);
          at += p.emb.data.length;
        }
      }
      this.runSizes.push(rows);
      const out = await this.runner.run({ [TASK_EMB]: { dims: [rows, width], data } });
      let row = 0;
      for (const p of batch) {
        const mine: Record<string, FloatTensor> = {};
        for (const [name, t] of Object.entries(out)) {
          const perRow = t.data.length / rows;
          mine[name] = {
            dims: [p.rows, ...t.dims.slice(1)],
            data: batch.length === 1 ? t.data : t.data.slice(row * perRow, (row + p.rows) * perRow),
          };
        }
        row += p.rows;
        p.resolve(mine);
      }
    } catch (e) {
      for (const p of batch) p.reject(e);
    } finally {
      this.busy = false;
      void this.pump();
    }
  }
}
