/**
 * The Compare view: what to compare (configurations on one description, one configuration on
 * several descriptions, or a blend between two), and each column's outcome with the small tables
 * the worker computed for the charts.
 */
import { create } from 'zustand';
import { persist } from 'zustand/middleware';
import type { AdapterDType } from '../../core/adapter/adapter-files';
import type { Precision } from '../../core/package/manifest';
import type { BackendPreference } from './backend-choice';
import type { ShownError } from './error-hints';
import type { AdapterAnalysis, GeneratedFile, GenerateResult, Stage } from '../worker/protocol';

export type CompareMode = 'configs' | 'descriptions' | 'blend';

export interface ColumnConfig {
  modelId: string;
  backend: BackendPreference;
  precision: Precision | 'auto';
  dtype: AdapterDType;
}

export interface ColumnOutcome {
  /** Short label for chart axes, e.g. "1 · T2L-L". */
  label: string;
  /** Longer caption above the column. */
  caption: string;
  description: string;
  config: ColumnConfig;
  blend?: { with: string; weight: number };
  status: 'waiting' | 'running' | 'done' | 'error';
  stage: Stage | null;
  error?: string;
  /** The failure as Generate shows it: title, message, advice. */
  shown?: ShownError;
  modelName?: string;
  result?: Pick<GenerateResult, 'model' | 'backend' | 'timings'>;
  adapter?: GeneratedFile;
  analysis?: AdapterAnalysis;
  /** The history entry this column's adapter was stored as (its outputs are kept there). */
  historyId?: number;
}

export const MAX_CONFIGS = 4;
export const MAX_DESCRIPTIONS = 6;

export interface CompareState {
  mode: CompareMode;
  description: string;
  configs: ColumnConfig[];
  descriptions: string[];
  /** The one configuration for 'descriptions' and 'blend'. */
  single: ColumnConfig;
  blend: { a: string; b: string; weight: number };
  running: boolean;
  columns: ColumnOutcome[];
  /** Labels-aligned cosine matrix; null entries could not be compared. */
  cosines: (number | null)[][] | null;
  error: string | null;
}

export const defaultConfig = (modelId: string): ColumnConfig => ({
  modelId,
  backend: 'wasm',
  precision: 'auto',
  dtype: 'float32',
});

/** The form survives a reload (as Generate's draft does); results do not, they hold adapters. */
export const useCompare = create<CompareState>()(
  persist(
    (): CompareState => ({
      mode: 'configs',
      description: '',
      configs: [defaultConfig('demo-L'), defaultConfig('demo-M'), defaultConfig('demo-S')],
      descriptions: ['', '', ''],
      single: defaultConfig('demo-L'),
      blend: { a: '', b: '', weight: 0.5 },
      running: false,
      columns: [],
      cosines: null,
      error: null,
    }),
    {
      name: 't2l-compare',
      version: 1,
      partialize: (s) => ({
        mode: s.mode,
        description: s.description,
        configs: s.configs,
        descriptions: s.descriptions,
        single: s.single,
        blend: s.blend,
      }),
    },
  ),
);
