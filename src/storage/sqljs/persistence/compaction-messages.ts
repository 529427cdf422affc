/** What the calling thread and the snapshot-building worker tell each other (compaction-worker.ts). */
export interface CompactionRequest {
  /** The main file the log follows. */
  readonly snapshotPath: string;
  readonly logPath: string;
  /** Bytes of the log (header included) that are durable and go into the new snapshot. */
  readonly logLength: number;
  /** Where the new snapshot is written (and synced). */
  readonly targetPath: string;
}

export type CompactionReply =
  | { readonly ok: true; readonly digest: Uint8Array; readonly size: number; readonly records: number; readonly ms: number }
  | { readonly ok: false; readonly message: string };
