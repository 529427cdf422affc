/** `init` (create the master identity and database) and `identity validate | show`. */
import { readFile, stat, unlink } from 'node:fs/promises';
import type { Command } from 'commander';
import { Identity } from '../../crypto/identity.js';
import { openSqlJsStorage } from '../../storage/index.js';
import { CliError, ExitCode } from '../exit-codes.js';
import { renderFields, renderJson } from '../format.js';
import { requireLocal, withClient, type CommandContext } from '../context.js';
import { assertIdentityFilesAbsent, loadMasterIdentity, writeIdentityFiles } from '../identity-files.js';
import { defaultAuthTokenPath, writeAuthTokenIfMissing } from '../auth-token.js';
import { checkWritableFilePath } from '../paths.js';
import { startProgress } from '../progress.js';

/** An identity string, or the path of a file holding one. */
async function readIdentityArgument(text: string): Promise<string> {
  if (text.includes(':')) return text.trim();
  const isFile = await stat(text).then(
    (info) => info.isFile(),
    () => false,
  );
  if (!isFile) throw new CliError(ExitCode.BAD_INPUT, `"${text}" is neither an identity string nor a readable file`);
  return (await readFile(text, 'utf8')).trim();
}

/** The master's public identity: from the identity file, or from the running master with --url. */
async function showableIdentity(context: CommandContext): Promise<{ address: string; identity: string }> {
  if (context.globals.url === undefined) {
    const identity = await loadMasterIdentity(context.globals.identity);
    return { address: identity.address, identity: identity.toString(false) };
  }
  return withClient(context, (client) => client.masterIdentity());
}

export function registerIdentityCommands(program: Command, context: () => CommandContext): void {
  program
    .command('init')
    .description(
      'create the master identity (--identity, mode 0600, plus a .public file beside it), ' +
        'an empty database (--db) and the admin API token (authtoken.secret beside the database, mode 0600) ' +
        'where there are none; never overwrites an identity',
    )
    .action(async () => {
      const ctx = context();
      requireLocal(ctx, 'init');
      const { identity: secretPath, db, json } = ctx.globals;
      // Every path is checked before the slow proof of work, so a mistake costs nothing.
      await checkWritableFilePath(secretPath, '--identity', ExitCode.IDENTITY);
      await assertIdentityFilesAbsent(secretPath);
      const createdDatabase = !(await checkWritableFilePath(db, '--db', ExitCode.STORAGE));
      const tokenPath = defaultAuthTokenPath(db);
      const progress = startProgress(ctx.io, 'generating the master identity (a proof of work; may take a few seconds)', json);
      const identity = await Identity.generate({ onProgress: (attempts) => progress.update(`${attempts} attempts`) });
      progress.done(`generated master identity ${identity.address}`);
      const publicPath = await writeIdentityFiles(secretPath, identity);
      let createdToken = false;
      try {
        if (createdDatabase) {
          const storage = await openSqlJsStorage({ path: db });
          await storage.close();
        }
        createdToken = await writeAuthTokenIfMissing(tokenPath);
      } catch (error) {
        // A failed init leaves nothing behind: the identity it wrote goes again.
        await unlink(secretPath).catch(() => undefined);
        await unlink(publicPath).catch(() => undefined);
        throw error;
      }
      if (json) {
        ctx.io.out(
          renderJson({
            address: identity.address,
            identity: identity.toString(false),
            secretFile: secretPath,
            publicFile: publicPath,
            database: db,
            createdDatabase,
            authTokenFile: tokenPath,
            createdAuthToken: createdToken,
          }),
        );
        return;
      }
      ctx.io.out(
        renderFields([
          ['address', identity.address],
          ['secret', `${secretPath} (keep it safe and back it up: network IDs carry this address)`],
          ['public', publicPath],
          ['database', `${db}${createdDatabase ? ' (created)' : ' (already there, kept)'}`],
          ['admin token', `${tokenPath}${createdToken ? ' (created)' : ' (already there, kept)'}`],
        ]),
      );
    });

  const identity = program.command('identity').description('check identities');

  identity
    .command('validate')
    .description('check that an identity parses and that its address matches its key (the proof of work)')
    .argument('<id>', 'identity string (address:0:public[:private]) or a file holding one')
    .action(async (text: string) => {
      const ctx = context();
      const identityText = await readIdentityArgument(text);
      let parsed: Identity;
      try {
        parsed = Identity.fromString(identityText);
      } catch (error) {
        throw new CliError(ExitCode.BAD_INPUT, `not an identity: ${(error as Error).message}`);
      }
      const valid = await parsed.locallyValidate();
      if (ctx.globals.json) {
        ctx.io.out(renderJson({ address: parsed.address, hasPrivate: parsed.hasPrivate, valid }));
      } else {
        ctx.io.out(
          valid
            ? `valid: ${parsed.address}${parsed.hasPrivate ? ' (includes the private key)' : ''}\n`
            : `INVALID: ${parsed.address} does not match its key\n`,
        );
      }
      if (!valid) throw new CliError(ExitCode.BAD_INPUT, `identity ${parsed.address} does not validate`);
    });

  identity
    .command('show')
    .description('print the master identity\'s address and public identity (never the secret)')
    .action(async () => {
      const ctx = context();
      const master = await showableIdentity(ctx);
      if (ctx.globals.json) {
        ctx.io.out(renderJson(master));
      } else {
        ctx.io.out(renderFields([['address', master.address], ['public', master.identity]]));
      }
    });
}
