#!/usr/bin/env node
// The npm bin `kubectl-outrigger` (kubectl finds it on the PATH as `kubectl outrigger`): the built plugin
// when dist/ exists (npm run build), else the TypeScript source through tsx (a git checkout).
const fs = require('node:fs');
const path = require('node:path');

const built = path.join(__dirname, '..', 'dist', 'cmd', 'kubectl-outrigger.js');
if (fs.existsSync(built)) {
  require(built);
} else {
  require('tsx/cjs');
  require('../cmd/kubectl-outrigger.ts');
}
