/**
 * The next snapshot from the stored one and a durable log prefix: what the compaction worker
 * computes, as a plain function (so it is testable on the calling thread too).
 */
import { equalBytes } from '@noble/curves/utils.js';
import { Connection } from '../connection.js';
import { loadSqlJs } from '../open.js';
import { sha256 } from './file.js';
import { parseLog } from './log-format.js';
import { decodeStatements } from './record-codec.js';

export interface CompactedImage {
  readonly image: Uint8Array;
  readonly digest: Uint8Array;
  /** Log records replayed into it. */
  readonly records: number;
}

/**
 * Replays every record of `logPrefix` on `snapshot`; refuses a log that does not follow it or ends
 * in a torn record. With `take`, the snapshot's buffer becomes sql.js's file (it is written to).
 */
export async function buildCompactedImage(snapshot: Uint8Array, logPrefix: Uint8Array, options: { take?: boolean } = {}): Promise<CompactedImage> {
  const log = parseLog(logPrefix);
  if (!log) throw new Error('the log prefix has no valid header');
  if (log.validLength !== logPrefix.length) throw new Error(`the log prefix is not whole: valid up to byte ${log.validLength} of ${logPrefix.length}`);
  if (log.header.snapshotSize !== snapshot.length || !equalBytes(log.header.snapshotDigest, sha256(snapshot))) {
    throw new Error('the log does not follow the main file (it changed while the snapshot was being built)');
  }
  const SQL = await loadSqlJs();
  const connection = Connection.open(SQL, snapshot, options.take);
  try {
    connection.replayAll(log.records.length, (index) => decodeStatements(log.records[index]!));
    const image = connection.export();
    return { image, digest: sha256(image), records: log.records.length };
  } finally {
    connection.close();
  }
}
