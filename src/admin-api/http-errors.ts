/**
 * Error answers of the admin API: `{ error: <status>, code, description }` with the library's
 * error codes, and the one exception ZeroTier's clients expect, `401 {}` for a missing or wrong token.
 */
import { NetconfError, StorageError } from '../errors.js';
import { BodyTooLargeError } from './body.js';

/** Codes of the refusals only the HTTP side makes (the library's own codes cover the rest). */
export const HttpErrorCode = {
  FORBIDDEN: 'ERR_FORBIDDEN',
  UNAVAILABLE: 'ERR_UNAVAILABLE',
  INTERNAL: 'ERR_INTERNAL',
} as const;

const STATUS_BY_CODE: Readonly<Record<string, number>> = {
  ERR_PARSE: 400,
  ERR_INVALID_ARGUMENT: 400,
  ERR_NOT_FOUND: 404,
  ERR_CONFLICT: 409,
  ERR_LIMIT: 400,
};

export function jsonResponse(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
}

export function errorResponse(status: number, code: string, description: string): Response {
  return jsonResponse({ error: status, code, description: oneLine(description) }, status);
}

export function unauthorizedResponse(): Response {
  return jsonResponse({}, 401);
}

/**
 * The answer for an error thrown while serving: the library's typed errors keep their code and
 * message (which never hold a token); storage failures are 503; anything else is a 500 that says
 * no more than that.
 */
export function responseForError(error: unknown): Response {
  if (error instanceof BodyTooLargeError) return errorResponse(413, error.code, error.message);
  if (error instanceof StorageError) return errorResponse(503, error.code, error.message);
  if (error instanceof NetconfError) return errorResponse(STATUS_BY_CODE[error.code] ?? 500, error.code, error.message);
  return errorResponse(500, HttpErrorCode.INTERNAL, 'internal error (see the service log)');
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').slice(0, 1000);
}
