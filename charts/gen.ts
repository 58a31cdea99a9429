// `npm run gen:chart`: writes the generated chart parts, then the config/ files rendered from the chart.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { chartParts, configFiles, REPO_ROOT } from './render';

const write = (files: Map<string, string>) => {
  for (const [file, text] of files) {
    fs.writeFileSync(path.join(REPO_ROOT, file), text);
    process.stdout.write(`wrote ${file}\n`);
  }
};
write(chartParts());
write(configFiles());
