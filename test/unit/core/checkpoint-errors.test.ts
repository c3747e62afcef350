import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadCheckpoint } from '../../../src/core/checkpoint/load';
import { T2LError } from '../../../src/core/errors';
import { memorySource } from '../../../src/core/files';
import { writeTorchStateDict } from '../../../src/core/checkpoint/torch-writer';
import { readTorchStateDict } from '../../../src/core/checkpoint/torch-file';
import type { Tensor } from '../../../src/core/tensor';
import { CONFORMANCE_DIR } from '../../support/conformance';

function files(name: string): Record<string, Uint8Array | string> {
  const dir = join(CONFORMANCE_DIR, name);
  return {
    'hypermod.pt': new Uint8Array(readFileSync(join(dir, 'hypermod.pt'))),
    'args.yaml': readFileSync(join(dir, 'args.yaml'), 'utf8'),
    'adapter_config.json': readFileSync(join(dir, 'adapter_config.json'), 'utf8'),
  };
}

async function loadError(
  f: Record<string, Uint8Array | string>,
  moduleOrder?: string[],
): Promise<T2LError> {
  try {
    await loadCheckpoint(memorySource('ckpt', f), { moduleOrder });
  } catch (e) {
    expect(e).toBeInstanceOf(T2LError);
    return e as T2LError;
  }
  throw new Error('expected loadCheckpoint to fail');
}

function withWeights(name: string, edit: (w: Map<string, Tensor>) => void) {
  const f = files(name);
  const w = readTorchStateDict(f['hypermod.pt'] as Uint8Array);
  edit(w);
  return { ...f, 'hypermod.pt': writeTorchStateDict(w) };
}

const setArg = (f: Record<string, Uint8Array | string>, key: string, value: string) => ({
  ...f,
  'args.yaml': (f['args.yaml'] as string).replace(
    new RegExp(`^${key}: .*$`, 'm'),
    `${key}: ${value}`,
  ),
});

describe('checkpoint reading: bad input is refused with a message naming the problem', () => {
  it('a missing file', async () => {
    const f = files('L-sft');
    delete f['args.yaml'];
    const e = await loadError(f);
    expect(e.code).toBe('missing-file');
    expect(e.message).toMatch(/ckpt: no args\.yaml/);
  });

  it('a missing tensor', async () => {
    const e = await loadError(withWeights('L-sft', (w) => w.delete('mlp2.mlp.4.weight')));
    expect(e.code).toBe('missing-tensor');
    expect(e.message).toContain('hypermod.pt has no tensor "mlp2.mlp.4.weight"');
  });

  it('a tensor of the wrong shape', async () => {
    const e = await loadError(
      withWeights('L-sft', (w) =>
        w.set('mixer.4.bias', { shape: [100], data: new Float32Array(100) }),
      ),
    );
    expect(e.code).toBe('bad-shape');
    expect(e.message).toContain('tensor "mixer.4.bias" has shape [100], expected [128]');
  });

  it('args.yaml contradicting the latent size', async () => {
    const e = await loadError(setArg(files('L-sft'), 'hypernet_latent_size', '512'));
    expect(e.code).toBe('args-mismatch');
    expect(e.message).toContain('hypernet_latent_size: 512');
    expect(e.message).toContain('task_encoder.mlp.0.weight is [64, 1024], i.e. 128');
  });

  it('args.yaml contradicting the head input size', async () => {
    const e = await loadError(setArg(files('M-sft'), 'head_in_size', '2048'));
    expect(e.code).toBe('args-mismatch');
    expect(e.message).toMatch(/head_in_size: 2048.*mlp3\.4\.weight is \[512, 512\], i\.e\. 512/);
  });

  it('args.yaml naming another variant than the weights hold', async () => {
    const e = await loadError(setArg(files('L-sft'), 'shared_AB_head', 'true'));
    expect(e.code).toBe('args-mismatch');
    expect(e.message).toContain('T2L-M');
    expect(e.message).toContain('heads.q_proj.weight needs 384 rows');
    expect(e.message).toContain('[704, 512]');
  });

  it('learned rank positions in the weights but not in args.yaml', async () => {
    const e = await loadError(setArg(files('S-learnedpos-sft'), 'learnable_pos_emb', 'false'));
    expect(e.code).toBe('args-mismatch');
    expect(e.message).toContain('pos_emb');
  });

  it('an unsupported encoder_type', async () => {
    const e = await loadError(setArg(files('L-sft'), 'encoder_type', 'vq'));
    expect(e.code).toBe('unsupported');
    expect(e.message).toContain('encoder_type "vq" is not supported');
  });

  it('pred_z_score without factorized on a recon checkpoint', async () => {
    const e = await loadError(setArg(files('L-recon'), 'pred_z_score', 'true'));
    expect(e.code).toBe('unsupported');
    expect(e.message).toContain('pred_z_score without factorized');
  });

  it('learned rank positions without one-rank-at-a-time generation', async () => {
    const e = await loadError(setArg(files('L-sft'), 'learnable_pos_emb', 'true'));
    expect(e.code).toBe('unsupported');
    expect(e.message).toContain('learnable_pos_emb is only valid with autoreg_gen: true');
  });

  it('an unknown training task', async () => {
    const e = await loadError(setArg(files('L-sft'), 'training_task', 'rl'));
    expect(e.code).toBe('unsupported');
    expect(e.message).toContain('training_task "rl"');
  });

  it('adapter_config.json disagreeing with args.yaml on the target modules', async () => {
    const f = files('L-sft');
    const e = await loadError({
      ...f,
      'adapter_config.json': (f['adapter_config.json'] as string).replace('"v_proj"', '"k_proj"'),
    });
    expect(e.code).toBe('args-mismatch');
    expect(e.message).toMatch(/target_modules \[q_proj, v_proj\].*\[q_proj, k_proj\] differ/);
  });

  it('adapter_config.json with another rank than the weights', async () => {
    const f = files('L-sft');
    const e = await loadError({
      ...f,
      'adapter_config.json': (f['adapter_config.json'] as string).replace('"r": 8', '"r": 16'),
    });
    expect(e.code).toBe('args-mismatch');
    expect(e.message).toContain('r = 16');
  });

  it('a module order that is not a permutation of the target modules', async () => {
    const e = await loadError(files('L-sft'), ['q_proj', 'k_proj']);
    expect(e.code).toBe('bad-input');
    expect(e.message).toContain('module order [q_proj, k_proj]');
  });

  it('a truncated hypermod.pt', async () => {
    const f = files('L-sft');
    const pt = f['hypermod.pt'] as Uint8Array;
    const e = await loadError({ ...f, 'hypermod.pt': pt.subarray(0, pt.length >> 1) });
    expect(e.code).toBe('bad-zip');
    expect(e.message).toContain('hypermod.pt');
  });

  it('a hypermod.pt that is not a zip', async () => {
    const e = await loadError({
      ...files('L-sft'),
      'hypermod.pt': new TextEncoder().encode('not a zip at all'),
    });
    expect(e.code).toBe('bad-zip');
  });
});

describe('module order', () => {
  it('defaults to adapter_config.json and can be overridden', async () => {
    const f = files('L-sft');
    const a = await loadCheckpoint(memorySource('ckpt', f));
    expect(a.spec.modules.map((m) => m.name)).toEqual(['q_proj', 'v_proj']);
    const b = await loadCheckpoint(memorySource('ckpt', f), { moduleOrder: ['v_proj', 'q_proj'] });
    expect(b.spec.modules.map((m) => m.name)).toEqual(['v_proj', 'q_proj']);
  });
});
