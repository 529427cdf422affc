/**
 * A master process on a PostgreSQL database, driven by the multi-process tests: started with
 * `node --import tsx test/support/postgres-master-process.ts <connection string>`, it reads one
 * JSON command per line on stdin and answers one JSON line per command on stdout, tagged with the
 * command's `id` (commands run concurrently). Members are identities with the given address and
 * an arbitrary key (the master skips the proof of work).
 *
 * Commands: { op: 'request', nwid, address, haveRevision? } → { code, error?, revision?, ips?, com? };
 * { op: 'create', settings } → { nwid }; { op: 'authorize' | 'deauthorize', nwid, address };
 * { op: 'close' } closes master and storage and answers; the process must then exit by itself.
 */
import { createInterface } from 'node:readline';
import { Identity } from '../../src/crypto/identity.js';
import { TEST_IDENTITIES } from '../../src/crypto/test-identities.js';
import { memberIdentity } from './postgres-members.js';
import { NetworkConfig } from '../../src/protocol/network-config.js';
import { createNetconfMaster, ResultCode } from '../../src/master/index.js';
import { openPostgresStorage } from '../../src/postgres/index.js';

async function main(): Promise<void> {
  const url = process.argv[2];
  if (url === undefined) throw new Error('usage: postgres-master-process.ts <connection string>');
  const storage = await openPostgresStorage({ connectionString: url });
  const master = createNetconfMaster(storage, Identity.fromString(TEST_IDENTITIES[0]!), {
    validateIdentities: false,
    signingWorkers: 0,
  });
  const changes: string[] = [];
  master.subscribe((event) => changes.push(`${event.type} ${event.nwid} ${event.revision}`));
  const answer = (id: unknown, body: object) => process.stdout.write(`${JSON.stringify({ id, ...body })}\n`);

  const lines = createInterface({ input: process.stdin });
  answer(null, { ready: true });
  for await (const line of lines) {
    const command = JSON.parse(line) as { id: number; op: string; [key: string]: unknown };
    const run = async (): Promise<object> => {
      switch (command.op) {
        case 'request': {
          const reply = await master.doNetworkConfigRequest({
            identity: memberIdentity(String(command.address)),
            nwid: String(command.nwid),
            haveRevision: BigInt(String(command.haveRevision ?? '0')),
          });
          if (reply.code !== ResultCode.OK) return { code: reply.code, error: reply.error };
          const config = NetworkConfig.fromDictionary(reply.netconf);
          return {
            code: reply.code, revision: String(config.revision), ips: config.staticIps,
            com: config.com === null ? null : String(config.com.revision),
          };
        }
        case 'create':
          return { nwid: await master.createNetwork(command.settings as never) };
        case 'authorize':
          await master.authorizeMember(String(command.nwid), String(command.address));
          return { revision: String((await master.getNetwork(String(command.nwid)))!.revision) };
        case 'deauthorize':
          await master.deauthorizeMember(String(command.nwid), String(command.address));
          return { revision: String((await master.getNetwork(String(command.nwid)))!.revision) };
        case 'changes':
          return { changes };
        case 'close':
          await master.close();
          await storage.close();
          lines.close();
          return { closed: true };
        default:
          throw new Error(`unknown op ${command.op}`);
      }
    };
    run().then(
      (body) => answer(command.id, body),
      (error: unknown) => answer(command.id, { failed: String((error as Error)?.message ?? error), code: (error as { code?: unknown })?.code }),
    );
  }
}

await main();
