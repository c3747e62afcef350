import { useEffect, useRef, type ReactNode } from 'react';
import { closeDialog } from './ui-store';
import { Button } from './ui';

/** A native modal <dialog>: focus trapping and Escape come from the browser. */
export function Dialog({
  open,
  title,
  children,
}: {
  open: boolean;
  title: string;
  children: ReactNode;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    if (open && !d.open) d.showModal();
    if (!open && d.open) d.close();
  }, [open]);
  return (
    <dialog
      ref={ref}
      onClose={closeDialog}
      onClick={(e) => e.target === ref.current && closeDialog()}
      aria-label={title}
      className="m-auto w-[min(40rem,calc(100vw-2rem))] rounded-xl border border-zinc-200 bg-white p-0 text-zinc-900 shadow-xl backdrop:bg-zinc-950/50 dark:border-zinc-800 dark:bg-zinc-900 dark:text-zinc-100"
    >
      <header className="flex items-center justify-between border-b border-zinc-100 px-5 py-3 dark:border-zinc-800">
        <h2 className="text-base font-semibold">{title}</h2>
        <Button variant="ghost" onClick={closeDialog} aria-label="Close">
          ✕
        </Button>
      </header>
      <div className="max-h-[75vh] overflow-auto px-5 py-4">{open && children}</div>
    </dialog>
  );
}
