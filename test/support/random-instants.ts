/**
 * `count` instants across a workload's commits, in the order drawn: every other one exactly on a commit
 * (where an off-by-one in a validity interval would show), the rest anywhere between the first and last.
 */
export function randomInstants(
  commitTimes: readonly number[],
  count: number,
  random: () => number,
): number[] {
  const first = commitTimes[0] as number;
  const last = commitTimes.at(-1) as number;
  return Array.from({ length: count }, (_, i) =>
    i % 2 === 0
      ? (commitTimes[Math.floor(random() * commitTimes.length)] as number)
      : first + Math.floor(random() * (last - first)),
  );
}
