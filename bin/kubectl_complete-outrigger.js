#!/usr/bin/env node
// kubectl's plugin completion (kubectl ≥ 1.26): `kubectl outrigger <TAB>` runs kubectl_complete-outrigger
// with the words typed after the plugin name; it answers as cobra's __complete does.
process.argv.splice(2, 0, '__complete');
require('./kubectl-outrigger.js');
