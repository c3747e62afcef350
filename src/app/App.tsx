import { useEffect } from 'react';
import { CacheDialog } from './cache/CacheDialog';
import { DescriptionCard } from './generate/DescriptionCard';
import { DropOverlay } from './shell/DropOverlay';
import { Header } from './shell/Header';
import { ModelPicker } from './generate/ModelPicker';
import { NoticeBar } from './shell/NoticeBar';
import { OptionsCard } from './generate/OptionsCard';
import { OutputPanel } from './generate/OutputPanel';
import { SettingsDialog } from './settings/SettingsDialog';
import { ViewTabs } from './shell/ViewTabs';
import { TryPanel } from './try/TryPanel';
import { AccuracyPanel } from './accuracy/AccuracyPanel';
import { CompareView } from './compare/CompareView';
import { HistoryView } from './history/HistoryView';
import { installDrop } from './shell/drop';
import { loadHistory } from './history/history';
import { installHistoryRecorder } from './shared/storage/history-record';
import { initApp } from './shell/init';
import { applyLinkOnce } from './shell/open-link';
import { installShortcut } from './shell/shortcut';
import { APP_VERSION } from './shell/version';
import { selectedBase } from './try/try';
import { useTry } from './try/try-store';
import { useView } from './shared/view-store';

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
      {view === 'generate' && <AccuracyPanel selectedBase={selectedBase} />}
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
