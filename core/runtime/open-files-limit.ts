import { readFileSync } from "node:fs";

/** The soft limit on open files in the text of /proc/<pid>/limits; undefined when unlimited or not there. */
export function parseOpenFilesLimit(limits: string): number | undefined {
  const match = /^Max open files\s+(\d+|unlimited)\s/m.exec(limits);
  if (match === null || match[1] === "unlimited") return undefined;
  return Number(match[1]);
}

/**
 * Connections that fit under an open-files limit, keeping descriptors back
 * for the store, log files, plugins and the accept itself: an eighth of the
 * limit, at most 1024. Past the limit accept fails with EMFILE, and every
 * newcomer costs an error instead of a clean refusal.
 */
export function connectionsWithin(openFiles: number): number {
  return Math.max(1, openFiles - Math.min(1024, Math.ceil(openFiles / 8)));
}

/** The default for maxConnections: what fits under this process's open-files limit, when it can be read (Linux). */
export function defaultMaxConnections(
  readLimits: () => string = () => readFileSync("/proc/self/limits", "utf8"),
): number | undefined {
  let limits: string;
  try {
    limits = readLimits();
  } catch {
    return undefined;
  }
  const openFiles = parseOpenFilesLimit(limits);
  return openFiles === undefined ? undefined : connectionsWithin(openFiles);
}
