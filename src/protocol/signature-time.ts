/** The time a dictionary's signature names (`~!sigts`, protocol.md §4), as given to a signer. */
import { InvalidArgumentError } from '../errors.js';
import { describeInput } from './ids.js';

/** A signature time given in ms: a non-negative safe integer or bigint; undefined means now. */
export function signatureTime(nowMs: number | bigint | undefined): bigint {
  if (nowMs === undefined) return BigInt(Date.now());
  if (typeof nowMs === 'bigint' && nowMs >= 0n) return nowMs;
  if (typeof nowMs === 'number' && Number.isSafeInteger(nowMs) && nowMs >= 0) return BigInt(nowMs);
  throw new InvalidArgumentError(`signature time must be a non-negative integer (ms), got ${describeInput(nowMs)}`);
}
