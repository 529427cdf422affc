/**
 * `npm run cli -- ...` runs the command in the package's folder, but the user typed the relative
 * paths (`--db ./netconf.db`, a backup file) in their own. npm says where that was in INIT_CWD;
 * only our own `cli` script is taken at its word (any other script meant the folder it runs in).
 */
export function callerDirectory(env: Readonly<Record<string, string | undefined>>): string | undefined {
  const fromOurCliScript = env.npm_lifecycle_event === 'cli' && env.npm_package_name === 'zt-netconf-master';
  return fromOurCliScript && env.INIT_CWD ? env.INIT_CWD : undefined;
}
