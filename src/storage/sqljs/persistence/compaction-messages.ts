/** What the serving process and the snapshot-building child process tell each other (compaction-child.ts). */
export interface CompactionRequest {
  /** The main file the log follows. */
  readonly snapshotPath: string;
  readonly logPath: string;
  /** Bytes of the log (header included) that are durable and go into the new snapshot. */
  readonly logLength: number;
  /** Where the new snapshot is written (and synced): a new file, of this build's own name. */
  readonly targetPath: string;
}

export type CompactionReply =
  | { readonly ok: true; readonly digest: Uint8Array; readonly size: number; readonly records: number; readonly ms: number }
  | { readonly ok: false; readonly message: string };

/** What the serving process tells the builders' spawner (compaction-spawner.ts). */
export type SpawnerRequest =
  | { readonly kind: 'build'; readonly id: number; readonly request: CompactionRequest }
  | { readonly kind: 'stop'; readonly id: number };

/** The spawner's answer to one build: the builder's reply, or why there is none. */
export interface SpawnerReply {
  readonly id: number;
  readonly reply: CompactionReply;
}
