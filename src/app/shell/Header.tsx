import { useCache } from '../shared/cache-store';
import { useCapabilities } from '../shared/capabilities-store';
import { openDialog } from '../shared/ui-store';
import { adapterName } from '../shared/backend-choice';
import { formatBytes } from '../shared/format';
import { Button, cx } from '../shared/ui';

function BackendStatus() {
  const { caps, error } = useCapabilities();
  let text = 'Checking this browser…';
  let dot = 'bg-zinc-400 animate-pulse';
  if (error) {
    text = 'Worker failed to start';
    dot = 'bg-red-500';
  } else if (caps) {
    const gpu = caps.webgpu;
    const wasm = caps.wasm ? `wasm ${caps.threads}×` : 'no WebAssembly';
    text = gpu.available
      ? `WebGPU: ${adapterName(caps)}${gpu.isFallbackAdapter ? ' (software)' : ''} · ${wasm}`
      : caps.wasm
        ? `wasm · ${caps.threads} thread${caps.threads === 1 ? '' : 's'} · no WebGPU`
        : 'No WebGPU, no WebAssembly: remote only';
    dot =
      gpu.available && !gpu.isFallbackAdapter
        ? 'bg-emerald-500'
        : gpu.available || caps.wasm
          ? 'bg-amber-500'
          : 'bg-red-500';
  }
  return (
    <span
      className="inline-flex max-w-[11rem] min-w-0 items-center gap-2 rounded-full border border-zinc-200 px-3 py-1 text-xs text-zinc-600 sm:max-w-none dark:border-zinc-800 dark:text-zinc-300"
      title={caps?.webgpu.reason || text}
      data-testid="backend-status"
    >
      <span className={cx('h-2 w-2 shrink-0 rounded-full', dot)} aria-hidden="true" />
      <span className="truncate">{text}</span>
    </span>
  );
}

export function Header() {
  const cached = useCache((s) => s.entries.reduce((n, e) => n + e.size, 0));
  return (
    <header className="border-b border-zinc-200 bg-white/80 backdrop-blur dark:border-zinc-800 dark:bg-zinc-950/80">
      <div className="mx-auto flex max-w-6xl items-center gap-3 px-4 py-3 sm:px-6">
        <div className="flex shrink-0 items-center gap-2.5">
          <span
            className="grid h-8 w-8 place-items-center rounded-lg bg-gradient-to-br from-indigo-500 to-violet-600 text-sm font-bold text-white shadow-sm"
            aria-hidden="true"
          >
            T2L
          </span>
          <div className="leading-tight">
            <h1 className="text-base font-semibold tracking-tight">Text-to-LoRA</h1>
            <p className="hidden text-xs text-zinc-500 sm:block dark:text-zinc-400">
              A LoRA adapter from one sentence, generated in your browser
            </p>
          </div>
        </div>
        <div className="ml-auto flex min-w-0 items-center gap-1.5">
          <BackendStatus />
          {/* Named by its content: the word (read out even where it is hidden, on narrow screens)
              and the size shown, so the name says what is seen (axe's label-content-name-mismatch). */}
          <Button variant="ghost" onClick={() => openDialog('cache')}>
            <span aria-hidden="true">⛁</span>
            <span className="sr-only sm:not-sr-only">Cache</span>
            {cached > 0 && (
              <>
                {' '}
                <span className="text-xs text-zinc-500 dark:text-zinc-400">
                  {formatBytes(cached)}
                </span>
              </>
            )}
          </Button>
          <Button variant="ghost" onClick={() => openDialog('settings')} aria-label="Settings">
            <span aria-hidden="true">⚙</span>
            <span className="hidden sm:inline">Settings</span>
          </Button>
        </div>
      </div>
    </header>
  );
}
