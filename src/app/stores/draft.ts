/** What the user is composing: kept in localStorage so a reload never loses the description. */
import { create } from 'zustand';
import { persist } from 'zustand/middleware';
import type { AdapterDType } from '../../core/adapter/adapter-files';
import type { BackendPreference } from '../services/backend-choice';

export interface DraftState {
  description: string;
  modelId: string | null;
  backend: BackendPreference;
  dtype: AdapterDType;
  setDescription: (description: string) => void;
  setModelId: (modelId: string) => void;
  setBackend: (backend: BackendPreference) => void;
  setDtype: (dtype: AdapterDType) => void;
}

export const useDraft = create<DraftState>()(
  persist(
    (set) => ({
      description: '',
      modelId: null,
      backend: 'auto',
      dtype: 'float32',
      setDescription: (description) => set({ description }),
      setModelId: (modelId) => set({ modelId }),
      setBackend: (backend) => set({ backend }),
      setDtype: (dtype) => set({ dtype }),
    }),
    { name: 't2l-draft', version: 1 },
  ),
);
