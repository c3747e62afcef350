/**
 * t2l.json as other tools write it, and graphs that say more than it does: a package whose
 * t2l.json was rewritten by Python (json.dump(..., sort_keys=True): every object's keys sorted,
 * ", " and ": " separators) reads as the same model; a graph with outputs for a module the
 * manifest does not list is refused, naming them.
 */
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadCheckpoint } from '../../../src/core/checkpoint/load';
import { T2LError } from '../../../src/core/errors';
import { memorySource } from '../../../src/core/files';
import { MANIFEST_METADATA } from '../../../src/core/package/graph-check';
import { MANIFEST_FILE } from '../../../src/core/package/manifest';
import { convertCheckpoint, readPackage, type T2LModel } from '../../../src/core/package/model';
import { dirSource } from '../../../src/node/fs-source';
import { CONFORMANCE_DIR } from '../../support/conformance';

/** Python's json.dumps(value, sort_keys=True) (default separators, ensure_ascii), restated. */
function pythonSortedJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(pythonSortedJson).join(', ')}]`;
  if (v !== null && typeof v === 'object') {
    const keys = Object.keys(v).sort();
    const o = v as Record<string, unknown>;
    return `{${keys.map((k) => `${pythonSortedJson(k)}: ${pythonSortedJson(o[k])}`).join(', ')}}`;
  }
  if (typeof v === 'string') {
    return JSON.stringify(v).replace(
      /[\u007f-\uffff]/g,
      (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
    );
  }
  return JSON.stringify(v);
}

let model: T2LModel;
/** The same model, its graph's t2l.manifest metadata written with sorted keys (Python's way). */
let sortedGraph: T2LModel;
/** The graph's metadata as our converter states it (the manifest before weights are added). */
let stated: Record<string, unknown>;
beforeAll(async () => {
  const ckpt = await loadCheckpoint(dirSource(join(CONFORMANCE_DIR, 'S-sft')));
  model = convertCheckpoint(ckpt, { precision: 'fp32' });
  stated = JSON.parse(
    JSON.stringify({ ...model.manifest, adapterConfig: undefined, weights: undefined }),
  ) as Record<string, unknown>;
  delete stated.fidelity;
  sortedGraph = convertCheckpoint(ckpt, {
    precision: 'fp32',
    metadata: { [MANIFEST_METADATA]: pythonSortedJson(stated) },
  });
});

describe('t2l.json with its keys in another order', () => {
  it('reads as the same manifest, the graph check included', async () => {
    const text = pythonSortedJson(model.manifest);
    // It really is reordered: the first key written is no longer the first key of ours.
    expect(Object.keys(JSON.parse(text) as object)[0]).not.toBe(Object.keys(model.manifest)[0]);
    expect(text.indexOf('"modules"')).toBeLessThan(text.indexOf('"variant"'));
    const read = await readPackage(
      memorySource('sorted', { [MANIFEST_FILE]: text, [model.manifest.graph]: model.graph }),
    );
    expect(read.manifest).toEqual(model.manifest);
  });
});

describe('a graph whose t2l.manifest metadata has its keys in another order', () => {
  it('agrees with t2l.json in either order', async () => {
    // The module objects really are reordered: {"inFeatures", "name", "outFeatures"}.
    expect(pythonSortedJson(stated)).toContain('{"inFeatures": ');
    for (const text of [JSON.stringify(model.manifest), pythonSortedJson(model.manifest)]) {
      const read = await readPackage(
        memorySource('sorted', {
          [MANIFEST_FILE]: text,
          [model.manifest.graph]: sortedGraph.graph,
        }),
      );
      expect(read.manifest).toEqual(model.manifest);
    }
  });

  it('is still compared: sorted metadata with another module order is refused', async () => {
    const order = [...model.manifest.moduleOrder].reverse();
    expect(order).not.toEqual(model.manifest.moduleOrder);
    const ckpt = await loadCheckpoint(dirSource(join(CONFORMANCE_DIR, 'S-sft')));
    const other = convertCheckpoint(ckpt, {
      precision: 'fp32',
      metadata: { [MANIFEST_METADATA]: pythonSortedJson({ ...stated, moduleOrder: order }) },
    });
    const err = await readPackage(
      memorySource('pkg', {
        [MANIFEST_FILE]: pythonSortedJson(model.manifest),
        [model.manifest.graph]: other.graph,
      }),
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(T2LError);
    expect((err as T2LError).message).toContain('moduleOrder is');
  });
});

describe('graph outputs that t2l.json does not list', () => {
  it('are refused, naming the outputs', async () => {
    expect(model.manifest.modules.length).toBeGreaterThan(1);
    const dropped = model.manifest.modules.at(-1)!.name;
    const manifest = {
      ...model.manifest,
      modules: model.manifest.modules.slice(0, -1),
      moduleOrder: model.manifest.moduleOrder.filter((m) => m !== dropped),
      adapterConfig: {
        ...model.manifest.adapterConfig,
        target_modules: model.manifest.moduleOrder.filter((m) => m !== dropped),
      },
    };
    const source = memorySource('pkg', {
      [MANIFEST_FILE]: JSON.stringify(manifest),
      [model.manifest.graph]: model.graph,
    });
    const err = await readPackage(source).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(T2LError);
    expect((err as T2LError).message).toMatch(
      new RegExp(`outputs for modules t2l.json does not list \\(.*${dropped}\\.lora_A`),
    );
  });
});
