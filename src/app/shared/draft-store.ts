/** What the user is composing: kept in localStorage so a reload never loses the description. */
import { create } from 'zustand';
import { persist } from 'zustand/middleware';
import { useShallow } from 'zustand/react/shallow';
import { shallow } from 'zustand/shallow';
import type { AdapterDType } from '../../core/adapter/adapter-files';
import type { EncoderDtype } from '../../core/encoder/dtype';
import type { Precision } from '../../core/package/manifest';
import type { BackendPreference } from './backend-choice';

export interface DraftState {
  description: string;
  modelId: string | null;
  backend: BackendPreference;
  dtype: AdapterDType;
  /** Precision a checkpoint is converted to here; 'auto' follows the backend. */
  precision: Precision | 'auto';
  encoderDtype: EncoderDtype | 'auto';
  setDescription: (description: string) => void;
  setModelId: (modelId: string) => void;
  setBackend: (backend: BackendPreference) => void;
  setDtype: (dtype: AdapterDType) => void;
  setPrecision: (precision: Precision | 'auto') => void;
  setEncoderDtype: (encoderDtype: EncoderDtype | 'auto') => void;
}

export const useDraft = create<DraftState>()(
  persist(
    (set) => ({
      description: '',
      modelId: null,
      backend: 'auto',
      dtype: 'float32',
      precision: 'auto',
      encoderDtype: 'auto',
      setDescription: (description) => set({ description }),
      setModelId: (modelId) => set({ modelId }),
      setBackend: (backend) => set({ backend }),
      setDtype: (dtype) => set({ dtype }),
      setPrecision: (precision) => set({ precision }),
      setEncoderDtype: (encoderDtype) => set({ encoderDtype }),
    }),
    { name: 't2l-draft', version: 1 },
  ),
);

/**
 * The draft without its description: for components that show options or model cards, so that
 * they do not re-render on every key typed into the description (the worker is starting up on the
 * same two cores while the user types: docs/benchmarks.md, "Time to the first adapter").
 */
export function useDraftOptions(): Omit<DraftState, 'description'> {
  return useDraft(useShallow(draftOptions));
}

/** The draft without its description. */
export function draftOptions({
  description: _description,
  ...options
}: DraftState): Omit<DraftState, 'description'> {
  return options;
}

/** Whether anything but the description differs between two draft states. */
export function draftOptionsChanged(next: DraftState, prev: DraftState): boolean {
  return !shallow(draftOptions(next), draftOptions(prev));
}
