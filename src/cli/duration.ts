/** Durations on the command line: a whole number and a unit, such as 90s, 15m, 12h, 30d or 2w. */
import { CliError, ExitCode } from './exit-codes.js';

const UNIT_MS: Readonly<Record<string, number>> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

export function parseDuration(text: string, what: string): number {
  const match = /^([1-9][0-9]*)([smhdw])$/.exec(text.trim().toLowerCase());
  const ms = match === null ? NaN : Number(match[1]) * UNIT_MS[match[2]!]!;
  if (!Number.isSafeInteger(ms)) {
    throw new CliError(ExitCode.BAD_INPUT, `${what} must be a number and a unit (s, m, h, d, w) such as 30d, got "${text}"`);
  }
  return ms;
}
