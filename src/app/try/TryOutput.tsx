import { useTry } from './try-store';
import { runTry } from './try';
import { formatBytes } from '../shared/format';
import { Button, ProgressBar, Spinner } from '../shared/ui';

/** Streaming output, speed, the backend that ran, and any error or refusal, in place. */
export function TryOutput() {
  const s = useTry();
  return (
    <div className="flex min-w-0 flex-col gap-3" aria-live="polite">
      {s.status === 'loading' && (
        <div className="flex flex-col gap-2 text-sm" data-testid="try-loading">
          <p className="flex items-center gap-2">
            <Spinner /> {s.stage}
          </p>
          {s.file && s.file.state !== 'done' && s.file.state !== 'cached' && (
            <ProgressBar
              value={s.file.total ? s.file.loaded / s.file.total : null}
              label={`${s.file.name}: ${formatBytes(s.file.loaded)}${s.file.total ? ` of ${formatBytes(s.file.total)}` : ''}`}
            />
          )}
        </div>
      )}
      {s.status === 'refused' && s.fit && (
        <div
          className="rounded-lg border border-amber-300 bg-amber-50 p-3 text-sm dark:border-amber-800 dark:bg-amber-950"
          data-testid="try-refused"
          role="alert"
        >
          <p className="font-semibold">This device probably cannot hold this model</p>
          {s.fit.problems.map((p) => (
            <p key={p}>{p}</p>
          ))}
          <Button className="mt-2" onClick={() => void runTry({ force: true })}>
            Download and load anyway
          </Button>
        </div>
      )}
      {s.status === 'error' && s.error && (
        <div
          className="rounded-lg border border-red-300 bg-red-50 p-3 text-sm dark:border-red-800 dark:bg-red-950"
          data-testid="try-error"
          role="alert"
        >
          <p className="font-semibold">{s.error.title}</p>
          <p className="break-words" data-testid="try-error-message">
            {s.error.message}
          </p>
          <p className="mt-1 text-zinc-600 dark:text-zinc-300">{s.error.hint}</p>
        </div>
      )}
      {s.fit?.notes.map((n) => (
        <p key={n} className="text-xs text-zinc-500">
          {n}
        </p>
      ))}
      <pre
        className="min-h-24 whitespace-pre-wrap break-words rounded-lg bg-zinc-100 p-3 font-mono text-sm dark:bg-zinc-800"
        data-testid="try-output"
        data-status={s.status}
      >
        {s.output}
        {s.status === 'running' && <span className="animate-pulse">▍</span>}
      </pre>
      {s.result && (
        <dl
          className="grid grid-cols-2 gap-x-4 gap-y-1 text-xs text-zinc-600 sm:grid-cols-4 dark:text-zinc-300"
          data-testid="try-stats"
        >
          <div>
            <dt>First token</dt>
            <dd data-testid="try-ttft">{Math.round(s.result.ttftMs)} ms</dd>
          </div>
          <div>
            <dt>Speed</dt>
            <dd data-testid="try-tps">{s.result.tokensPerSecond.toFixed(1)} tokens/s</dd>
          </div>
          <div>
            <dt>Tokens</dt>
            <dd>
              {s.result.tokens} ({s.result.finish})
            </dd>
          </div>
          <div>
            <dt>Backend</dt>
            <dd data-testid="try-backend">{s.backend?.label}</dd>
          </div>
        </dl>
      )}
      {s.model && (
        <p className="text-xs text-zinc-500" data-testid="try-model">
          {s.model.name} · {s.model.arch} · {s.model.layers} layers ·{' '}
          {s.model.chatTemplate ? 'chat template from the GGUF' : 'no chat template: raw prompt'} ·
          base loaded {s.baseLoads}×
        </p>
      )}
    </div>
  );
}
