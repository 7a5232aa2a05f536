/**
 * What a failed call says to a person: the server's message (a ResponseError carries it in its
 * body), never a stack.
 */
export function errorMessage(error: unknown): string {
  const body = (error as { body?: { error?: { message?: string } } }).body;
  return body?.error?.message ?? (error as Error)?.message ?? String(error);
}

/** Whether a failed call was a version conflict (HTTP 409). */
export function isConflict(error: unknown): boolean {
  return (
    (error as { response?: { status?: number } }).response?.status === 409 ||
    (error as { statusCode?: number }).statusCode === 409
  );
}
