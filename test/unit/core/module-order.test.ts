/**
 * A module order naming one module twice used to pass the check (same length, every name known)
 * and reached onnxruntime as an invalid graph ("two nodes with same node name"). It is refused up
 * front, for a checkpoint and for a package, naming the modules.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openModel } from '../../../src/core/package/model';
import { dirSource } from '../../../src/node/fs-source';
import { refusal } from '../../support/refusal';

const DEMO = join(import.meta.dirname, '..', '..', '..', 'models', 'demo');

describe('a module order that names a module twice', () => {
  it('is refused for a checkpoint', async () => {
    const e = await refusal(
      openModel(dirSource(join(DEMO, 'checkpoints', 'M')), { moduleOrder: ['q_proj', 'q_proj'] }),
    );
    expect(e.message).toMatch(
      /module order \[q_proj, q_proj\] must list each target module exactly once: \[q_proj, v_proj\]/,
    );
  });

  it('is refused for a package, without advising to convert with it', async () => {
    const e = await refusal(
      openModel(dirSource(join(DEMO, 'packages', 'M')), { moduleOrder: ['v_proj', 'v_proj'] }),
    );
    expect(e.message).toMatch(/must list each target module of this package exactly once/);
    expect(e.message).not.toMatch(/convert the checkpoint again/);
  });

  it('a real permutation still reaches the order check', async () => {
    const e = await refusal(
      openModel(dirSource(join(DEMO, 'packages', 'M')), { moduleOrder: ['v_proj', 'q_proj'] }),
    );
    expect(e.message).toMatch(/convert the checkpoint again with --module-order v_proj,q_proj/);
  });
});
