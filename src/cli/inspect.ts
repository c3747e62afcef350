import { loadCheckpoint } from '../core/checkpoint/load';
import { folderKind, readPackage } from '../core/package/model';
import { manifestFromSpec, type PackageManifest } from '../core/package/manifest';
import { modelDirSource } from '../node/fs-source';
import { resolveModelPath } from '../node/hub-resolve';
import { describeFidelity } from './convert';
import { cliHubSettings } from './hub';
import { warn } from './options';

export async function inspectCommand(arg: string, opts: { json?: boolean }): Promise<void> {
  const { path, label: dir } = await resolveModelPath(arg, cliHubSettings());
  const source = modelDirSource(path);
  const kind = await folderKind(source);
  let manifest: PackageManifest;
  if (kind === 'checkpoint') {
    const ckpt = await loadCheckpoint(source, { onWarning: warn });
    manifest = manifestFromSpec(ckpt.spec, ckpt.adapterConfig.raw, dir, 'inspect');
  } else {
    manifest = (await readPackage(source)).manifest;
  }
  if (opts.json) {
    process.stdout.write(JSON.stringify({ kind, ...manifest }, null, 2) + '\n');
    return;
  }
  const m = manifest;
  const lines = [
    `${dir}: T2L ${kind}`,
    `  variant        T2L-${m.variant}${m.positions !== 'none' ? ` (${m.positions} rank positions)` : ''}`,
    `  training task  ${m.trainingTask}`,
    `  base model     ${m.baseModel} (${m.layers} layers)`,
    `  text encoder   ${m.encoder} (task embedding ${m.taskEmbSize})`,
    `  sizes          latent ${m.latentSize}, head input ${m.headInSize}, rank ${m.rank}`,
    `  modules        ${m.modules.map((x) => `${x.name} ${x.inFeatures}→${x.outFeatures}`).join(', ')}`,
    `  module order   ${m.moduleOrder.join(', ')} (type-embedding rows 0..${m.moduleOrder.length - 1})`,
    `  parameters     ${m.paramCount.toLocaleString('en-US')}`,
    `  precision      ${describePrecision(m)}`,
    ...(kind === 'package' ? [`  fidelity       ${describeFidelity(m.fidelity)}`] : []),
  ];
  process.stdout.write(lines.join('\n') + '\n');
}

function describePrecision(m: PackageManifest): string {
  const w = m.weights;
  if (!w) return m.precision;
  const parts = Object.entries(w.stored).map(
    ([p, keys]) =>
      `${keys.length} ${p}${p === 'q4' && w.blockSize ? ` (blocks of ${w.blockSize})` : ''}`,
  );
  const mib = (w.initializerBytes / 2 ** 20).toFixed(1);
  return `${m.precision}: ${parts.join(', ')} matrices; weights ${mib} MiB`;
}
