/** Problems with what the user typed, shown at the field itself rather than in the result panel. */
import { create } from 'zustand';

export interface FormErrorsState {
  /** Why the description cannot be used (empty, too long), or null. */
  description: string | null;
}

export const useFormErrors = create<FormErrorsState>()(() => ({ description: null }));
