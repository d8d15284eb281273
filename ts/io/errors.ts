// Errors shared by the readers and writers of ts/io.

/**
 * Thrown when bytes that should hold a .npy array or a .npz/zip archive are corrupt, truncated or use a feature
 * this package does not read. The message starts with the file (or array) it concerns.
 */
export class FileFormatError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'FileFormatError';
  }
}

/** Describes a value for an error message: its class name, or its type. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value !== 'object') return typeof value;
  return (value as object).constructor?.name ?? 'object';
}
