import { useState } from 'react';
import {
  PUBLIC_HUB,
  hubEndpointFor,
  hubEndpointName,
  hubEndpointProblem,
} from '../shared/hub-endpoint';
import { remoteUrlProblem } from '../shared/remote-url';
import { useSettings } from '../shared/settings-store';
import { useUi } from '../shared/ui-store';
import { Dialog } from '../shared/Dialog';

const input =
  'w-full rounded-lg border border-zinc-300 bg-white px-3 py-1.5 text-sm placeholder:text-zinc-400 focus:border-indigo-500 focus:ring-2 focus:ring-indigo-500/30 focus:outline-none dark:border-zinc-700 dark:bg-zinc-950';

function SecretField({
  id,
  label,
  value,
  onChange,
  placeholder,
}: {
  id: string;
  label: string;
  value: string;
  onChange: (v: string) => void;
  placeholder: string;
}) {
  const [shown, setShown] = useState(false);
  return (
    <div>
      <label htmlFor={id} className="mb-1 block text-sm font-medium">
        {label}
      </label>
      <div className="flex gap-2">
        <input
          id={id}
          type={shown ? 'text' : 'password'}
          autoComplete="off"
          spellCheck={false}
          value={value}
          onChange={(e) => onChange(e.target.value.trim())}
          placeholder={placeholder}
          className={input}
        />
        <button
          type="button"
          onClick={() => setShown(!shown)}
          className="rounded-lg px-2 text-xs text-zinc-600 hover:bg-zinc-100 dark:text-zinc-300 dark:hover:bg-zinc-800"
          aria-pressed={shown}
        >
          {shown ? 'Hide' : 'Show'}
        </button>
      </div>
    </div>
  );
}

export function SettingsDialog() {
  const open = useUi((s) => s.dialog === 'settings');
  const s = useSettings();
  const urlProblem = remoteUrlProblem(s.remoteUrl);
  const hubProblem = hubEndpointProblem(s.hubEndpoint);
  const hubName = hubEndpointName(hubEndpointFor(s.hubEndpoint));
  return (
    <Dialog open={open} title="Settings">
      <div className="flex flex-col gap-6">
        <section className="flex flex-col gap-2">
          <h3 className="text-sm font-semibold">Hugging Face</h3>
          <SecretField
            id="hf-token"
            label="Access token (optional)"
            value={s.hfToken}
            onChange={(v) => s.set({ hfToken: v })}
            placeholder="hf_…"
          />
          <p className="text-xs text-zinc-500 dark:text-zinc-400">
            For gated or private repositories. A read-only token is enough. It is kept in this
            browser’s local storage and sent only to {hubName}.
          </p>
          <div>
            <label htmlFor="hub-endpoint" className="mb-1 block text-sm font-medium">
              Hub endpoint (optional)
            </label>
            <input
              id="hub-endpoint"
              type="url"
              value={s.hubEndpoint}
              onChange={(e) => s.set({ hubEndpoint: e.target.value.trim() })}
              placeholder={PUBLIC_HUB}
              className={input}
              aria-invalid={hubProblem ? true : undefined}
              aria-describedby="hub-endpoint-problem hub-endpoint-note"
            />
            <p
              id="hub-endpoint-problem"
              role="status"
              data-testid="hub-endpoint-problem"
              className="mt-1 text-xs text-red-700 [overflow-wrap:anywhere] dark:text-red-400"
            >
              {hubProblem && `${hubProblem} Until it is fixed, the public Hub is used.`}
            </p>
            <p id="hub-endpoint-note" className="text-xs text-zinc-500 dark:text-zinc-400">
              A mirror or proxy of the Hugging Face Hub (as HF_ENDPOINT): T2L checkpoints, the text
              encoder and base models are all downloaded from it. Empty: huggingface.co.
            </p>
          </div>
        </section>
        <section className="flex flex-col gap-2">
          <h3 className="text-sm font-semibold">Remote endpoint</h3>
          <div>
            <label htmlFor="remote-url" className="mb-1 block text-sm font-medium">
              URL of an Open Inference Protocol server (optional)
            </label>
            <input
              id="remote-url"
              type="url"
              value={s.remoteUrl}
              onChange={(e) => s.set({ remoteUrl: e.target.value.trim() })}
              placeholder="http://localhost:8080"
              className={input}
              aria-invalid={urlProblem ? true : undefined}
              aria-describedby="remote-url-problem"
            />
            <p
              id="remote-url-problem"
              role="status"
              data-testid="remote-url-problem"
              className="mt-1 text-xs text-red-700 [overflow-wrap:anywhere] dark:text-red-400"
            >
              {urlProblem && `${urlProblem} Until it is fixed, no remote endpoint is used.`}
            </p>
          </div>
          <SecretField
            id="remote-token"
            label="Bearer token (optional)"
            value={s.remoteToken}
            onChange={(v) => s.set({ remoteToken: v })}
            placeholder="token"
          />
          <p className="text-xs text-zinc-500 dark:text-zinc-400">
            A `t2l serve` or Triton server that runs the hypernetwork when this device cannot, or
            when you choose Remote. The text encoder still runs here.
          </p>
        </section>
      </div>
    </Dialog>
  );
}
