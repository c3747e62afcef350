/** Short messages for the whole page (a share link's ignored values, a new version): dismissible. */
import { create } from 'zustand';

export interface Notice {
  /** One notice per id: a later one with the same id replaces it. */
  id: string;
  text: string;
  /** A button beside the text (e.g. "Reload" for a new version). */
  action?: { label: string; run: () => void };
}

export interface NoticesState {
  notices: Notice[];
}

export const useNotices = create<NoticesState>()(() => ({ notices: [] }));

export function showNotice(n: Notice): void {
  useNotices.setState((s) => ({ notices: [...s.notices.filter((x) => x.id !== n.id), n] }));
}

export function dismissNotice(id: string): void {
  useNotices.setState((s) => ({ notices: s.notices.filter((x) => x.id !== id) }));
}
