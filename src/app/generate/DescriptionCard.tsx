import { useDraft } from '../shared/draft-store';
import { useFormErrors } from './form-errors-store';
import { EXAMPLES } from './examples';
import { shortcutLabel } from '../shared/labels';
import { GenerateBar, RunStatusLine } from './GenerateBar';
import { Card, Kbd } from '../shared/ui';

export function DescriptionCard() {
  const description = useDraft((s) => s.description);
  const setDescription = useDraft((s) => s.setDescription);
  const error = useFormErrors((s) => s.description);
  return (
    <Card
      title={<label htmlFor="description">Describe the task</label>}
      aside={
        <span className="text-xs text-zinc-500 pointer-coarse:hidden dark:text-zinc-400">
          <Kbd>{shortcutLabel()}</Kbd> <Kbd>Enter</Kbd> generates
        </span>
      }
    >
      <textarea
        id="description"
        value={description}
        onChange={(e) => {
          setDescription(e.target.value);
          if (error) useFormErrors.setState({ description: null });
        }}
        aria-invalid={error ? true : undefined}
        aria-errormessage={error ? 'description-error' : undefined}
        rows={5}
        placeholder="What should the model be good at? e.g. “Solve grade-school math word problems step by step and give the final number.”"
        className="block w-full resize-y rounded-lg border border-zinc-300 bg-white px-3 py-2.5 text-[15px] leading-relaxed text-zinc-900 shadow-inner placeholder:text-zinc-400 focus:border-indigo-500 focus:ring-2 focus:ring-indigo-500/30 focus:outline-none dark:border-zinc-700 dark:bg-zinc-950 dark:text-zinc-100 dark:placeholder:text-zinc-500"
        aria-describedby="description-help"
      />
      {error && (
        <p
          id="description-error"
          role="alert"
          data-testid="description-error"
          className="mt-2 text-sm font-medium text-red-700 dark:text-red-400"
        >
          {error}
        </p>
      )}
      <div className="mt-3 flex flex-wrap items-center gap-1.5" id="description-help">
        <span className="mr-1 text-xs font-medium text-zinc-500 dark:text-zinc-400">Try:</span>
        {EXAMPLES.map((ex) => (
          <button
            key={ex.label}
            type="button"
            onClick={() => setDescription(ex.text)}
            title={ex.text}
            className="rounded-full border border-zinc-200 bg-zinc-50 px-2.5 py-1 text-xs text-zinc-700 transition-colors hover:border-indigo-300 hover:bg-indigo-50 hover:text-indigo-800 focus-visible:outline-2 focus-visible:outline-indigo-500 dark:border-zinc-700 dark:bg-zinc-800 dark:text-zinc-300 dark:hover:border-indigo-700 dark:hover:bg-indigo-950 dark:hover:text-indigo-200"
          >
            {ex.label}
          </button>
        ))}
      </div>
      <div className="mt-4 flex flex-wrap items-center justify-between gap-3 border-t border-zinc-100 pt-4 dark:border-zinc-800">
        <span className="text-xs text-zinc-500 tabular-nums dark:text-zinc-400">
          {description.length > 0
            ? `${description.length} characters`
            : 'Saved in this browser as you type'}
        </span>
        <GenerateBar />
      </div>
      <RunStatusLine />
    </Card>
  );
}
