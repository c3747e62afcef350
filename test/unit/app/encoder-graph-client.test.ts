/**
 * The error a caller of the encoder's worker (encoder-graph-client.ts: the T2L worker's wasm
 * encoder) sees when that worker fails, against a fake Worker (Node has none): the worker's own
 * T2LError arrives with its code and message as sent; a worker that stops, or throws something
 * that is not a T2LError, is the backend failing ('runtime', which the page explains as "The
 * backend failed" with another backend to try), never 'internal' ("Something went wrong").
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { TokenTensor } from '../../../src/core/encoder/text-encoder';
import { T2LError } from '../../../src/core/errors';
import { explainError } from '../../../src/app/shared/error-hints';
import { startEncoderGraphWorker } from '../../../src/app/worker/encoder-graph-client';
import type { RpcInbound, RpcOutbound } from '../../../src/app/worker/rpc-protocol';
import type { EncoderGraphMethods } from '../../../src/app/worker/encoder-graph-protocol';

type In = RpcInbound<EncoderGraphMethods>;
type Out = RpcOutbound<never>;

/** A Worker as the client uses it; `answer` decides each call's reply (none: the call waits). */
class FakeWorker {
  static made: FakeWorker[] = [];
  static answer: (msg: Extract<In, { type: 'call' }>) => Out | null = () => null;
  onmessage: ((e: MessageEvent<Out>) => void) | null = null;
  onerror: ((e: ErrorEvent) => void) | null = null;
  readonly listeners: ((e: ErrorEvent) => void)[] = [];
  readonly sent: In[] = [];
  terminated = false;
  constructor() {
    FakeWorker.made.push(this);
  }
  addEventListener(type: string, fn: (e: ErrorEvent) => void) {
    if (type === 'error') this.listeners.push(fn);
  }
  postMessage(msg: In) {
    this.sent.push(msg);
    if (msg.type !== 'call') return;
    const reply = FakeWorker.answer(msg);
    if (reply) queueMicrotask(() => this.onmessage?.({ data: reply } as MessageEvent<Out>));
  }
  terminate() {
    this.terminated = true;
  }
  /** An uncaught error in the worker: the browser fires `error` on the Worker object. */
  crash(message: string) {
    const event = { message, preventDefault: () => {} } as unknown as ErrorEvent;
    for (const fn of this.listeners) fn(event);
    this.onerror?.(event);
  }
}

const ok = (id: number, result: unknown): Out => ({ type: 'result', id, result });
const names = { inputNames: ['input_ids'], outputNames: ['last_hidden_state'], spans: [] };
const model = () => new Uint8Array(8);
const feeds: Record<string, TokenTensor> = {
  input_ids: { data: new BigInt64Array([2n, 3n]), dims: [1, 2] },
};

/** The error `p` rejects with. */
async function failure(p: Promise<unknown>): Promise<T2LError> {
  const e = await p.then(
    () => null,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(T2LError);
  return e as T2LError;
}

/** What the page would show for it (the T2L worker passes a T2LError's code and message on). */
const shown = (e: T2LError) => explainError({ code: e.code, message: e.message });

describe("the encoder worker's failures, as its caller sees them", () => {
  beforeEach(() => {
    FakeWorker.made = [];
    vi.stubGlobal('Worker', FakeWorker);
  });
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  it("passes the worker's own T2LError on with its code and message", async () => {
    const message =
      "onnxruntime-web could not load the text encoder's graph (protobuf parsing failed)";
    FakeWorker.answer = (msg) =>
      msg.method === 'open'
        ? { type: 'error', id: msg.id, error: { code: 'runtime', message } }
        : ok(msg.id, null);
    const slot = startEncoderGraphWorker('/ort/', 8);
    const e = await failure(slot.open(model()));
    expect([e.code, e.message]).toEqual(['runtime', message]);
    expect(shown(e).title).toBe('The backend failed');
    // The worker that could not open its graph is ended.
    expect(FakeWorker.made[0]!.terminated).toBe(true);
  });

  it("is the backend failing ('runtime', the message kept) when the worker stops during open", async () => {
    FakeWorker.answer = (msg) => (msg.method === 'open' ? null : ok(msg.id, null));
    const slot = startEncoderGraphWorker('/ort/', 8);
    const opening = failure(slot.open(model()));
    await Promise.resolve();
    FakeWorker.made[0]!.crash('RangeError: Array buffer allocation failed');
    const e = await opening;
    expect([e.code, e.message]).toEqual([
      'runtime',
      'The text encoder worker stopped: RangeError: Array buffer allocation failed',
    ]);
    expect(shown(e).title).toBe('The backend failed');
  });

  it('is the backend failing when a run fails with an error that is not a T2LError', async () => {
    FakeWorker.answer = (msg) =>
      msg.method === 'run'
        ? {
            type: 'error',
            id: msg.id,
            error: { code: 'internal', message: 'memory access out of bounds' },
          }
        : ok(msg.id, msg.method === 'open' ? names : null);
    const graph = await startEncoderGraphWorker('/ort/', 8).open(model());
    const e = await failure(graph.run(feeds));
    expect([e.code, e.message]).toEqual(['runtime', 'memory access out of bounds']);
  });

  it('says the worker stopped, and to generate again, when it stopped during a run and after', async () => {
    FakeWorker.answer = (msg) =>
      msg.method === 'run' ? null : ok(msg.id, msg.method === 'open' ? names : null);
    const lost = vi.fn();
    const graph = await startEncoderGraphWorker('/ort/', 8, lost).open(model());
    const running = failure(graph.run(feeds));
    await Promise.resolve();
    FakeWorker.made[0]!.crash('planted crash');
    const during = await running;
    expect([during.code, during.message]).toEqual([
      'runtime',
      'The text encoder worker stopped: planted crash',
    ]);
    expect(lost).toHaveBeenCalledTimes(1);
    const after = await failure(graph.run(feeds));
    expect([after.code, after.message]).toEqual([
      'runtime',
      "The text encoder's worker stopped (planted crash); generate again to load the encoder anew",
    ]);
  });
});
