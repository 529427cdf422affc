/**
 * Reading a caller's input with a parser: the parser's ParseError (bad bytes or text) is, for the
 * caller, a bad argument.
 */
import { InvalidArgumentError, ParseError } from '../errors.js';

/**
 * Runs `read`; a ParseError it throws becomes an InvalidArgumentError with the same message
 * (after `what: ` when `what` is given) and the ParseError as its cause. Other errors pass as they are.
 */
export function asInvalidArgument<T>(read: () => T, what?: string): T {
  try {
    return read();
  } catch (error) {
    if (error instanceof ParseError) {
      throw new InvalidArgumentError(what === undefined ? error.message : `${what}: ${error.message}`, { cause: error });
    }
    throw error;
  }
}
