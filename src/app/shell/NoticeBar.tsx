import { dismissNotice, useNotices } from '../shared/notices-store';
import { Button } from '../shared/ui';

/** Page-wide notices under the view tabs, in a landmark of their own (axe's rule `region`). */
export function NoticeBar() {
  const notices = useNotices((s) => s.notices);
  if (notices.length === 0) return null;
  return (
    <section
      aria-label="Notices"
      className="mx-auto flex max-w-6xl flex-col gap-2 px-4 pt-3 sm:px-6"
    >
      {notices.map((n) => (
        <div
          key={n.id}
          role="status"
          data-testid={`notice-${n.id}`}
          className="flex flex-wrap items-center gap-2 rounded-lg border border-amber-300 bg-amber-50 px-3 py-2 text-sm text-amber-950 dark:border-amber-800 dark:bg-amber-950/60 dark:text-amber-100"
        >
          <span className="min-w-0 flex-1 [overflow-wrap:anywhere]">{n.text}</span>
          {n.action && (
            <Button variant="primary" className="text-xs" onClick={n.action.run}>
              {n.action.label}
            </Button>
          )}
          <Button
            variant="ghost"
            className="text-xs"
            onClick={() => dismissNotice(n.id)}
            aria-label="Dismiss"
          >
            ×
          </Button>
        </div>
      ))}
    </section>
  );
}
