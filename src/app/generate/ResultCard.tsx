import type { ReactNode } from 'react';
import { useRun } from '../shared/run-store';
import { downloadGguf, downloadSafetensors, downloadZip } from './generation';
import { formatBytes, formatCount, formatLowerBound } from '../shared/format';
import { FilesSummary } from './FilesSummary';
import { StageTimings } from './StageTimings';
import { Badge, Button } from '../shared/ui';

function Fact({
  label,
  children,
  testId,
}: {
  label: string;
  children: ReactNode;
  testId?: string;
}) {
  return (
    <div className="grid grid-cols-[7.5rem_1fr] gap-2 py-1.5 text-sm">
      <dt className="text-zinc-500 dark:text-zinc-400">{label}</dt>
      <dd className="min-w-0 break-words text-zinc-900 dark:text-zinc-100" data-testid={testId}>
        {children}
      </dd>
    </div>
  );
}

export function ResultCard() {
  const result = useRun((s) => s.result);
  if (!result) return null;
  const adapter = result.adapters[0]!;
  const m = result.model;
  return (
    <article
      className="flex flex-col gap-4 rounded-lg focus-visible:outline-2 focus-visible:outline-offset-4 focus-visible:outline-indigo-500"
      data-testid="result"
      aria-label="Generated adapter"
      tabIndex={-1}
    >
      <div className="flex items-start justify-between gap-3">
        <div>
          <h2 className="flex items-center gap-2 text-base font-semibold">
            <span
              className="grid h-5 w-5 place-items-center rounded-full bg-emerald-500 text-xs text-white"
              aria-hidden="true"
            >
              ✓
            </span>
            Adapter ready
          </h2>
          <p className="mt-1 line-clamp-3 text-sm text-zinc-600 italic dark:text-zinc-300">
            “{adapter.description}”
          </p>
        </div>
        <time
          className="shrink-0 text-xs text-zinc-500 dark:text-zinc-400"
          dateTime={new Date(result.finishedAt).toISOString()}
        >
          {new Date(result.finishedAt).toLocaleTimeString()}
        </time>
      </div>

      <div className="grid gap-2">
        <Button
          variant="primary"
          className="w-full py-2.5"
          onClick={() => downloadZip(result)}
          data-testid="download-zip"
        >
          ↓ Download PEFT .zip
          <span className="text-xs font-normal opacity-80">{formatBytes(adapter.zip.length)}</span>
        </Button>
        <div className="grid grid-cols-2 gap-2">
          <Button
            className="text-xs"
            onClick={() => downloadSafetensors(result)}
            title="adapter_model.safetensors alone"
            data-testid="download-safetensors"
          >
            .safetensors
            <span className="text-zinc-600 dark:text-zinc-300">
              {formatBytes(adapter.safetensors.length)}
            </span>
          </Button>
          <Button
            className="text-xs"
            onClick={() => downloadGguf(result)}
            disabled={!adapter.gguf}
            title={
              adapter.gguf
                ? 'LoRA for llama.cpp (llama-server --lora); Ollama takes ADAPTER only up to 0.34.0'
                : adapter.ggufNote
            }
            data-testid="download-gguf"
          >
            .gguf for llama.cpp
          </Button>
        </div>
        <p className="text-xs text-zinc-500 dark:text-zinc-400">
          The zip holds the PEFT folder and a model card (README.md) with snippets for PEFT, vLLM,
          llama.cpp and Ollama.
          {!adapter.gguf && ` No GGUF: ${adapter.ggufNote}.`}
          {adapter.gguf && adapter.ggufNote && ` GGUF: ${adapter.ggufNote}.`}
        </p>
      </div>

      <dl className="divide-y divide-zinc-100 dark:divide-zinc-800">
        <Fact label="Base model" testId="fact-base-model">
          <span className="font-mono text-[13px]">{m.baseModel}</span>
        </Fact>
        <Fact label="T2L checkpoint" testId="fact-checkpoint">
          {result.modelName}
          <span
            className="block truncate text-xs text-zinc-500 dark:text-zinc-400"
            title={result.location}
          >
            {result.location}
          </span>
          {result.revision && (
            <span
              className="block font-mono text-xs text-zinc-600 dark:text-zinc-300"
              data-testid="fact-revision"
            >
              revision {result.revision}
            </span>
          )}
        </Fact>
        {result.hubEndpoint && (
          <Fact label="Hub endpoint" testId="fact-hub-endpoint">
            <span className="font-mono text-[13px]">{result.hubEndpoint}</span>
          </Fact>
        )}
        <Fact label="Variant" testId="fact-variant">
          T2L-{m.variant} <Badge>{m.trainingTask}</Badge>{' '}
          <span className="text-xs text-zinc-500 dark:text-zinc-400">
            {m.layers} layers · rank {m.rank} · {m.modules.join(', ')} · {formatCount(m.paramCount)}{' '}
            params
          </span>
        </Fact>
        <Fact label="Precision" testId="fact-precision">
          hypernetwork {m.precision}
          {m.fidelity && m.fidelity.matrices > 0 && (
            <span
              className="text-xs text-zinc-500 dark:text-zinc-400"
              title={m.fidelity.embeddings}
            >
              {' '}
              (cosine ≥ {formatLowerBound(m.fidelity.minCosine)} to float32)
            </span>
          )}{' '}
          · adapter {result.dtype}
        </Fact>
        <Fact label="Text encoder" testId="fact-encoder">
          <span className="font-mono text-[13px]">{m.encoder}</span> · {result.backend.encoderDtype}{' '}
          on {result.backend.encoderDevice}
          {result.encoderRevision && (
            <span
              className="block font-mono text-xs text-zinc-600 dark:text-zinc-300"
              data-testid="fact-encoder-revision"
            >
              revision {result.encoderRevision}
            </span>
          )}
          <span className="block text-xs text-zinc-500 dark:text-zinc-400">
            {result.backend.encoderDtypeReason}
          </span>
        </Fact>
        <Fact label="Backend" testId="fact-backend">
          <span data-backend={result.backend.kind}>{result.backend.label}</span>
          <span className="block text-xs text-zinc-500 dark:text-zinc-400">
            {result.backend.reason}
          </span>
        </Fact>
        <Fact label="Adapter size" testId="fact-size">
          {formatBytes(adapter.safetensors.length)} safetensors · {formatBytes(adapter.zip.length)}{' '}
          zip
        </Fact>
        <Fact label="Files" testId="fact-files">
          <FilesSummary result={result} />
        </Fact>
      </dl>

      <StageTimings result={result} />

      {result.loadNotes.length > 0 && (
        <ul
          className="list-inside list-disc text-xs text-zinc-500 dark:text-zinc-400"
          data-testid="load-notes"
        >
          {result.loadNotes.map((n) => (
            <li key={n}>{n}</li>
          ))}
        </ul>
      )}
    </article>
  );
}
