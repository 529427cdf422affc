/**
 * A new database taken back to an earlier schema version, as a library of that version left it,
 * for migration tests: what each later version added is removed.
 */

/** What version 6 added (the controller API's model), removed; schemaVersion 5. */
export function backToVersion5(run: (sql: string) => void): void {
  run(`DROP TABLE Route`);
  run(`DROP TRIGGER Network_settings`);
  run(`DROP TRIGGER Member_noAutoAssignIps`);
  for (const [table, column] of [['Network', 'mtu'], ['Network', 'dnsDomain'], ['Network', 'dnsServers'], ['Node', 'vMajor'],
    ['Node', 'vMinor'], ['Node', 'vRev'], ['Node', 'vProto'], ['Member', 'noAutoAssignIps'], ['IpAssignmentPool', 'ipRangeStart'],
    ['IpAssignmentPool', 'ipRangeEnd']] as const) {
    run(`ALTER TABLE ${table} DROP COLUMN ${column}`);
  }
  // The earlier versions' trigger on the network row (a stand-in over one of its columns).
  run(`CREATE TRIGGER Network_settings AFTER UPDATE OF name ON Network WHEN OLD.name IS NOT NEW.name
    BEGIN UPDATE Network SET revision = revision + 1 WHERE id = NEW.id; END`);
  run(`UPDATE Config SET v = '5' WHERE k = 'schemaVersion'`);
}

/** What versions 5 (join tokens, expiry, audit) and 6 added, removed; schemaVersion 4. */
export function backToVersion4(run: (sql: string) => void): void {
  backToVersion5(run);
  for (const sql of [
    `DROP TRIGGER Network_delete_access`, `DROP TABLE JoinToken`, `DROP TABLE MemberExpiry`, `DROP TABLE AuditEntry`,
    `ALTER TABLE Member DROP COLUMN lastAuthorizedCredentialType`, `ALTER TABLE Member DROP COLUMN lastAuthorizedCredential`,
    `UPDATE Config SET v = '4' WHERE k = 'schemaVersion'`,
  ]) run(sql);
}
