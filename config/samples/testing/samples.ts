// The manifests in config/samples/<kind>/<feature>.yaml: one file per documented feature, one document
// per served version that can express it (config/samples/mesh/ belongs to the SidecarSet injection tests).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { Json } from '../../../apis/convert-util';
import { REPO_ROOT } from '../../../cluster/binaries';

export const SAMPLES_DIR = path.join(REPO_ROOT, 'config', 'samples');
const SKIPPED = new Set(['mesh']);

export interface SampleFile {
  /** Relative to config/samples, e.g. cloneset/in-place-update.yaml. */
  file: string;
  docs: Json[];
}

export function sampleFiles(): SampleFile[] {
  const out: SampleFile[] = [];
  const walk = (dir: string) => {
    for (const entry of fs
      .readdirSync(dir, { withFileTypes: true })
      .sort((a, b) => a.name.localeCompare(b.name))) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory() && !SKIPPED.has(entry.name)) walk(full);
      else if (entry.isFile() && entry.name.endsWith('.yaml')) {
        const docs = parseAllDocuments(fs.readFileSync(full, 'utf8')).map((d) => d.toJS() as Json);
        out.push({ file: path.relative(SAMPLES_DIR, full), docs });
      }
    }
  };
  walk(SAMPLES_DIR);
  return out;
}
