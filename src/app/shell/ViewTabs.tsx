/** Generate | Compare | History. */
import { useHistory } from '../shared/storage/history-store';
import { showView, useView } from '../shared/view-store';
import type { View } from '../shared/share-link';
import { cx } from '../shared/ui';

const TABS: { id: View; label: string }[] = [
  { id: 'generate', label: 'Generate' },
  { id: 'compare', label: 'Compare' },
  { id: 'history', label: 'History' },
];

export function ViewTabs() {
  const view = useView((s) => s.view);
  const count = useHistory((s) => s.entries.length + s.unsaved.length);
  const warn = useHistory((s) => s.unsaved.length > 0);
  return (
    <nav className="mx-auto max-w-6xl px-4 pt-4 sm:px-6" aria-label="Views">
      <div
        role="tablist"
        className="inline-flex gap-1 rounded-lg bg-zinc-200/70 p-1 dark:bg-zinc-800"
      >
        {TABS.map((t) => (
          <button
            key={t.id}
            type="button"
            role="tab"
            aria-selected={view === t.id}
            onClick={() => showView(t.id)}
            data-testid={`tab-${t.id}`}
            className={cx(
              'rounded-md px-3 py-1.5 text-sm font-medium',
              view === t.id
                ? 'bg-white shadow-sm dark:bg-zinc-950'
                : 'text-zinc-600 hover:text-zinc-900 dark:text-zinc-300',
            )}
          >
            {t.label}
            {t.id === 'history' && count > 0 && (
              <span className={cx('ml-1.5 text-xs tabular-nums', warn && 'text-red-600')}>
                {count}
              </span>
            )}
          </button>
        ))}
      </div>
    </nav>
  );
}
