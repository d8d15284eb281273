// Errors the package raises for its own conditions (argument errors are the built-in TypeError and RangeError).

/** The error a cancelled job rejects with: name 'AbortError', as fetch and the DOM use, plus any details. */
export function abortError<T extends object>(message: string, details?: T): Error & Partial<T> {
  const err = new Error(message) as Error & Partial<T>;
  err.name = 'AbortError';
  if (details) Object.assign(err, details);
  return err;
}
