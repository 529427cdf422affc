#!/usr/bin/env node
/** Entry point of the `zt-netconf-master` command; the commands live in src/cli. */
import { callerDirectory } from '../src/cli/caller-directory.js';
import { main } from '../src/cli/main.js';

const directory = callerDirectory(process.env);
if (directory !== undefined) process.chdir(directory);
process.exitCode = await main(process.argv.slice(2));
