#!/usr/bin/env node
/** Entry point of the `zt-netconf-master` command; the commands live in src/cli. */
import { main } from '../src/cli/main.js';

process.exitCode = await main(process.argv.slice(2));
