/** A redo format version. The file header has one, and so does every record: it decides which fields follow. */
export interface RedoVersion {
  readonly major: number;
  readonly minor: number;
}

/** The newest version this reader knows (ZCS 8.x writes 1.42). */
export const LATEST_VERSION: RedoVersion = { major: 1, minor: 42 };

export function atLeast(version: RedoVersion, major: number, minor: number): boolean {
  return version.major > major || (version.major === major && version.minor >= minor);
}

export function isTooHigh(version: RedoVersion): boolean {
  return !atLeast(LATEST_VERSION, version.major, version.minor);
}

export function formatVersion(version: RedoVersion): string {
  return `${version.major}.${version.minor}`;
}
