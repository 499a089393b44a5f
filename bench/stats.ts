// What every benchmark prints its table with. Kept apart from the local cloud: a benchmark that imports this
// alone measures in a process as light as the one it stands for (the cloud loads the CDK, a heap of its own).

/** The middle value (the upper one of an even count): what the tables report, machines being noisy. */
export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

/** The `p`th percentile (nearest rank): p99 of 200 samples is the second largest. */
export function percentile(xs: number[], p: number): number {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

export const fmt = (n: number, digits = 0) =>
  n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

export const MB = 1_000_000;
