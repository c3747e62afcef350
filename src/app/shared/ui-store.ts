/** Which dialog is open, and whether a file is being dragged over the page. */
import { create } from 'zustand';

export interface UiState {
  dialog: 'settings' | 'cache' | null;
  dragging: boolean;
}

export const useUi = create<UiState>()(() => ({ dialog: null, dragging: false }));

export const openDialog = (dialog: UiState['dialog']) => useUi.setState({ dialog });
export const closeDialog = () => useUi.setState({ dialog: null });
