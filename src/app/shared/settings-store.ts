/**
 * Settings kept in this browser only (localStorage): the Hugging Face token and Hub endpoint, the
 * remote endpoint, model locations the user added, and whether prompts skip the base's chat
 * template. Nothing here is sent anywhere but where it is meant for.
 */
import { create } from 'zustand';
import { persist } from 'zustand/middleware';
import type { CatalogEntry } from './catalog-types';

export interface SettingsState {
  hfToken: string;
  /** A Hub mirror's URL (shared/hub-endpoint.ts); '' for the public Hub. */
  hubEndpoint: string;
  remoteUrl: string;
  remoteToken: string;
  userModels: CatalogEntry[];
  /** Run prompts without the base model's chat template (the Try panel's "Plain prompt"). */
  plainPrompt: boolean;
  set: (
    patch: Partial<
      Pick<SettingsState, 'hfToken' | 'hubEndpoint' | 'remoteUrl' | 'remoteToken' | 'plainPrompt'>
    >,
  ) => void;
  addUserModel: (entry: CatalogEntry) => void;
  removeUserModel: (id: string) => void;
}

export const useSettings = create<SettingsState>()(
  persist(
    (set) => ({
      hfToken: '',
      hubEndpoint: '',
      remoteUrl: '',
      remoteToken: '',
      userModels: [],
      plainPrompt: false,
      set: (patch) => set(patch),
      addUserModel: (entry) =>
        set((s) => ({ userModels: [...s.userModels.filter((m) => m.id !== entry.id), entry] })),
      removeUserModel: (id) =>
        set((s) => ({ userModels: s.userModels.filter((m) => m.id !== id) })),
    }),
    { name: 't2l-settings', version: 1 },
  ),
);
