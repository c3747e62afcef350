import { useEffect } from 'react';
import { CacheDialog } from './components/CacheDialog';
import { DescriptionCard } from './components/DescriptionCard';
import { DropOverlay } from './components/DropOverlay';
import { Header } from './components/Header';
import { ModelPicker } from './components/ModelPicker';
import { NoticeBar } from './components/NoticeBar';
import { OptionsCard } from './components/OptionsCard';
import { OutputPanel } from './components/OutputPanel';
import { SettingsDialog } from './components/SettingsDialog';
import { ViewTabs } from './components/ViewTabs';
import { TryPanel } from './components/try/TryPanel';
import { AccuracyPanel } from './components/accuracy/AccuracyPanel';
import { CompareView } from './components/compare/CompareView';
import { HistoryView } from './components/history/HistoryView';
import { installDrop } from './services/drop';
import { installHistoryRecorder, loadHistory } from './services/history';
import { initApp } from './services/init';
import { applyLinkOnce } from './services/open-link';
import { installShortcut } from './services/shortcut';
import { APP_VERSION } from './services/version';
import { useTry } from './stores/try';
import { useView } from './stores/view';

export function App() {
  const view = useView((s) => s.view);
  const tryOpen = useTry((s) => s.open);
  useEffect(() => {
    applyLinkOnce();
    initApp();
    void loadHistory();
    const removeShortcut = installShortcut();
    const removeDrop = installDrop();
    const removeRecorder = installHistoryRecorder();
    return () => {
      removeShortcut();
      removeDrop();
      removeRecorder();
    };
  }, []);
  return (
    <div className="min-h-dvh bg-zinc-50 text-zinc-900 dark:bg-zinc-950 dark:text-zinc-100">
      <Header />
      <ViewTabs />
      <NoticeBar />
      {view === 'compare' && (
        <main className="mx-auto max-w-6xl px-4 py-5 sm:px-6">
          <CompareView />
        </main>
      )}
      {view === 'history' && (
        <main className="mx-auto max-w-6xl px-4 py-5 sm:px-6">
          <HistoryView />
        </main>
      )}
      <main
        hidden={view !== 'generate'}
        className="mx-auto grid max-w-6xl grid-cols-[minmax(0,1fr)] gap-5 px-4 py-5 sm:px-6 sm:py-6 lg:grid-cols-[minmax(0,1fr)_26rem] lg:items-start"
      >
        <div className="flex min-w-0 flex-col gap-5">
          <DescriptionCard />
          <ModelPicker />
          <OptionsCard />
        </div>
        {/* The Try panel under the result card whose adapter it runs. The column stays in view
            while the form scrolls, unless an open Try panel makes it too tall to. */}
        <div className={`flex min-w-0 flex-col gap-5 ${tryOpen ? '' : 'lg:sticky lg:top-6'}`}>
          <OutputPanel />
          <TryPanel />
        </div>
      </main>
      {/* Below the grid: its per-example table wants the page's width, not the result column's. */}
      {view === 'generate' && <AccuracyPanel />}
      <footer className="mx-auto max-w-6xl px-4 pb-8 text-xs text-zinc-600 sm:px-6 dark:text-zinc-400">
        <span data-testid="app-version">t2l-web {APP_VERSION}</span> · Text-to-LoRA (Sakana AI, ICML
        2025) run with onnxruntime-web and transformers.js. Models and descriptions stay in this
        browser.
      </footer>
      <SettingsDialog />
      <CacheDialog />
      <DropOverlay />
    </div>
  );
}
