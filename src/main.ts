#!/usr/bin/env node
import { runCli } from './cli/index.js';

// Everything Bulwark creates (database, WAL, keys) is private to its user.
process.umask(0o077);

await runCli(process.argv);
