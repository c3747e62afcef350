import type { PackageManifest } from '../../src/core/package/manifest';

/**
 * Multiply-add work of one generation, from the package's sizes: 2·rows·K·N for every matrix
 * product the graph runs for one task embedding (rows grow with the variant: modules × layers,
 * × 2 for A/B with a shared head, × rank one rank at a time). The heads dominate.
 */
export function flopsPerEmbedding(m: PackageManifest): number {
  const { latentSize: Z, headInSize: H, taskEmbSize: E, layers: L, rank: r } = m;
  const M = m.modules.length;
  const headOut = (mod: PackageManifest['modules'][number]) => {
    const shared = m.variant === 'M' || m.variant === 'S';
    const perRank = shared
      ? Math.max(mod.inFeatures, mod.outFeatures)
      : mod.inFeatures + mod.outFeatures;
    return m.variant === 'S' || m.variant === 'autoreg-unshared' ? perRank : r * perRank;
  };
  const mlp2 = 8 * Z * Z; // Z→4Z→Z per row
  const mlp3 = 4 * Z * Z + 4 * Z * H;
  const R0 = M * L;
  let macs = E * (Z / 2) + (Z / 2) * 4 * Z + (L + M) * (Z / 4) * 4 * Z; // task encoder, mixer.1
  macs += R0 * 4 * Z * Z + R0 * mlp2; // mixer.4, mlp1
  let headRows: number; // rows through each head per embedding
  switch (m.variant) {
    case 'L':
      macs += R0 * (mlp2 + mlp3);
      headRows = L;
      break;
    case 'M':
      macs += 2 * R0 * (mlp2 + mlp3);
      headRows = 2 * L;
      break;
    case 'S':
      macs += 2 * R0 * mlp2 + (m.positions === 'learned' ? r : 2 * R0 * r) * mlp2;
      macs += 2 * R0 * r * mlp3;
      headRows = 2 * L * r;
      break;
    case 'autoreg-unshared':
      macs += R0 * r * (mlp2 + mlp3);
      headRows = L * r;
      break;
  }
  for (const mod of m.modules) macs += headRows * H * headOut(mod);
  return 2 * macs;
}
