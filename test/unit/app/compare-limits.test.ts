/**
 * Compare's form at its limits: 2 to MAX_CONFIGS configurations and 2 to MAX_DESCRIPTIONS
 * descriptions run, one more is refused, and the Add buttons stop exactly at the limit. The limits
 * are written out here (4 and 6, as the form's text says) rather than read back from the module.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { compareAccuracyProblem } from '../../../src/app/accuracy/accuracy';
import { compareActions, compareProblem } from '../../../src/app/compare/compare';
import {
  useCompare,
  type ColumnConfig,
  type CompareState,
} from '../../../src/app/shared/compare-store';
import { useCatalog } from '../../../src/app/shared/catalog-store';

const config = (modelId: string): ColumnConfig => ({
  modelId,
  backend: 'wasm',
  precision: 'auto',
  dtype: 'float32',
});
const state = (patch: Partial<CompareState>): CompareState => ({
  ...useCompare.getInitialState(),
  description: 'Translate recipes.',
  ...patch,
});
const configs = (n: number) => Array.from({ length: n }, (_, i) => config(`demo-${i}`));
const texts = (n: number) => Array.from({ length: n }, (_, i) => `Task ${i}.`);

beforeEach(() => useCompare.setState(useCompare.getInitialState(), true));

describe('compareProblem at the column limits', () => {
  it('configurations: 2 and exactly 4 run; 1 and 5 are refused', () => {
    expect(compareProblem(state({ mode: 'configs', configs: configs(2) }))).toBeNull();
    expect(compareProblem(state({ mode: 'configs', configs: configs(4) }))).toBeNull();
    for (const n of [1, 5]) {
      expect(compareProblem(state({ mode: 'configs', configs: configs(n) }))).toBe(
        'Compare 2 to 4 configurations.',
      );
    }
  });

  it('descriptions: 2 and exactly 6 run; 1 and 7 are refused', () => {
    const single = config('demo-S');
    expect(
      compareProblem(state({ mode: 'descriptions', single, descriptions: texts(2) })),
    ).toBeNull();
    expect(
      compareProblem(state({ mode: 'descriptions', single, descriptions: texts(6) })),
    ).toBeNull();
    for (const n of [1, 7]) {
      expect(compareProblem(state({ mode: 'descriptions', single, descriptions: texts(n) }))).toBe(
        'Compare 2 to 6 descriptions.',
      );
    }
  });

  it('an empty description is refused at any count', () => {
    expect(compareProblem(state({ mode: 'descriptions', descriptions: ['Task.', ' '] }))).toBe(
      'Every description needs some text.',
    );
  });
});

describe('Add and Remove stop exactly at the limits', () => {
  it('configurations: Add up to 4, Remove down to 2', () => {
    useCompare.setState({ configs: configs(3) });
    compareActions.addConfig();
    expect(useCompare.getState().configs).toHaveLength(4);
    // The added column copies the last one.
    expect(useCompare.getState().configs[3]).toEqual(config('demo-2'));
    compareActions.addConfig();
    expect(useCompare.getState().configs).toHaveLength(4);
    compareActions.removeConfig(0);
    compareActions.removeConfig(0);
    expect(useCompare.getState().configs.map((c) => c.modelId)).toEqual(['demo-2', 'demo-2']);
    compareActions.removeConfig(0);
    expect(useCompare.getState().configs).toHaveLength(2);
  });

  it('descriptions: Add up to 6, Remove down to 2', () => {
    useCompare.setState({ descriptions: texts(5) });
    compareActions.addDescription();
    expect(useCompare.getState().descriptions).toEqual([...texts(5), '']);
    compareActions.addDescription();
    expect(useCompare.getState().descriptions).toHaveLength(6);
    for (let i = 0; i < 5; i++) compareActions.removeDescription(0);
    expect(useCompare.getState().descriptions).toHaveLength(2);
  });
});

describe("Compare's Accuracy row at its column limit", () => {
  // Its text: "Accuracy compares 2 to 4 finished columns" (written out here, not read back).
  const done = (i: number) =>
    ({
      label: `T2L ${i}`,
      status: 'done',
      result: { model: { baseModel: 'demo/tiny' } },
      adapter: { gguf: new Uint8Array([i]) },
    }) as never;
  const columns = (n: number) => Array.from({ length: n }, (_, i) => done(i));

  beforeEach(() => {
    // The base's URL is resolved against the page's address (Node has none).
    vi.stubGlobal('location', new URL('http://localhost/'));
    useCatalog.setState({
      catalog: {
        models: [
          {
            id: 'demo-L',
            baseModel: 'demo/tiny',
            baseGguf: { url: 'https://hub.test/tiny.gguf', size: 1000 },
          },
        ],
        encoders: {},
      } as never,
    });
  });
  afterEach(() => vi.unstubAllGlobals());

  it('runs 2 and exactly 4 finished columns; refuses 1 and 5', () => {
    useCompare.setState({ columns: columns(2) });
    expect(compareAccuracyProblem()).toBeNull();
    useCompare.setState({ columns: columns(4) });
    expect(compareAccuracyProblem()).toBeNull();
    useCompare.setState({ columns: columns(5) });
    expect(compareAccuracyProblem()).toMatch(/at most 4 columns/);
    useCompare.setState({ columns: columns(1) });
    expect(compareAccuracyProblem()).toMatch(/2 to 4 finished columns/);
  });
});
