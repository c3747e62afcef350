/** Which view is shown: Generate, Compare or History. */
import { create } from 'zustand';
import type { View } from './share-link';

export const useView = create<{ view: View }>()(() => ({ view: 'generate' }));

export const showView = (view: View) => useView.setState({ view });
