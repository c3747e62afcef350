import { DEFAULT_SAMPLING, useTry } from './try-store';
import { runTry, stopTry } from './try';
import { useSettings } from '../shared/settings-store';
import { Button } from '../shared/ui';

const field =
  'w-full rounded-lg border border-zinc-300 bg-white px-2 py-1.5 text-sm dark:border-zinc-700 dark:bg-zinc-800';

/** System prompt, prompt, adapter scale, greedy or sampling, Run and Stop. */
export function TryPromptForm() {
  const s = useTry();
  const plainPrompt = useSettings((x) => x.plainPrompt);
  const busy = s.status === 'loading' || s.status === 'running';
  return (
    <form
      className="flex flex-col gap-3"
      onSubmit={(e) => {
        e.preventDefault();
        void runTry();
      }}
    >
      <label className="text-sm font-medium">
        System prompt
        <input
          className={field}
          data-testid="try-system"
          placeholder="Optional"
          value={s.system}
          onChange={(e) => useTry.setState({ system: e.target.value })}
        />
      </label>
      <label className="text-sm font-medium">
        Prompt
        <textarea
          className={field}
          rows={3}
          data-testid="try-prompt"
          value={s.prompt}
          onChange={(e) => useTry.setState({ prompt: e.target.value })}
        />
      </label>
      <label className="text-sm font-medium">
        Adapter scale: <output data-testid="try-scale-value">{s.scale.toFixed(2)}</output>
        <span className="ml-2 text-xs font-normal text-zinc-500">
          0 = base model, 1 = as generated
        </span>
        <input
          type="range"
          min={0}
          max={2}
          step={0.05}
          className="w-full"
          data-testid="try-scale"
          aria-label="Adapter scale"
          value={s.scale}
          onChange={(e) => useTry.setState({ scale: Number(e.target.value) })}
        />
      </label>
      <div className="flex flex-wrap items-center gap-4 text-sm">
        <label>
          Max tokens{' '}
          <input
            type="number"
            min={1}
            max={512}
            className="w-20 rounded border border-zinc-300 px-1 dark:border-zinc-700 dark:bg-zinc-800"
            data-testid="try-max-tokens"
            value={s.maxTokens}
            onChange={(e) =>
              useTry.setState({
                maxTokens: Math.max(1, Math.min(512, Number(e.target.value) || 1)),
              })
            }
          />
        </label>
        <label className="flex items-center gap-1">
          <input
            type="checkbox"
            data-testid="try-sampling"
            checked={s.sampling !== null}
            onChange={(e) =>
              useTry.setState({ sampling: e.target.checked ? DEFAULT_SAMPLING : null })
            }
          />
          Sample (off: greedy, comparable outputs)
        </label>
        <label className="flex items-center gap-1">
          <input
            type="checkbox"
            data-testid="try-plain-prompt"
            checked={plainPrompt}
            onChange={(e) => useSettings.getState().set({ plainPrompt: e.target.checked })}
          />
          Plain prompt (skip the model&apos;s chat template)
        </label>
      </div>
      {s.sampling && (
        <div className="grid grid-cols-4 gap-2 text-xs" data-testid="try-sampling-settings">
          {(
            [
              ['temperature', 'Temperature', 0.05],
              ['topK', 'Top-k', 1],
              ['topP', 'Top-p', 0.05],
              ['seed', 'Seed', 1],
            ] as const
          ).map(([key, label, step]) => (
            <label key={key}>
              {label}
              <input
                type="number"
                step={step}
                className={field}
                value={s.sampling![key]}
                onChange={(e) =>
                  useTry.setState({ sampling: { ...s.sampling!, [key]: Number(e.target.value) } })
                }
              />
            </label>
          ))}
        </div>
      )}
      <div className="flex gap-2">
        <Button type="submit" variant="primary" disabled={busy} data-testid="try-run">
          Run
        </Button>
        <Button type="button" disabled={!busy} onClick={stopTry} data-testid="try-stop">
          Stop
        </Button>
      </div>
    </form>
  );
}
