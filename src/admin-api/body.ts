/**
 * Reading a request body as JSON under a size limit: a declared length over the limit is refused
 * before reading, a streamed body as soon as it passes the limit.
 */
import { LimitExceededError, ParseError } from '../errors.js';

export async function readJsonBody(request: Request, maxBytes: number): Promise<unknown> {
  const declared = request.headers.get('content-length');
  if (declared !== null && Number(declared) > maxBytes) throw tooLarge(maxBytes);
  const chunks: Uint8Array[] = [];
  let total = 0;
  if (request.body !== null) {
    const reader = request.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > maxBytes) {
        await reader.cancel().catch(() => undefined);
        throw tooLarge(maxBytes);
      }
      chunks.push(value);
    }
  }
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  const text = new TextDecoder().decode(bytes);
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ParseError(`the body is not valid JSON: ${(error as Error).message}`);
  }
}

/** The body is over the limit: answered 413. */
export class BodyTooLargeError extends LimitExceededError {}

function tooLarge(maxBytes: number): BodyTooLargeError {
  return new BodyTooLargeError(`the body is larger than ${maxBytes} bytes`);
}
