// Text output: the rollout plan as a table of batches, and the revision history, kubectl's column style.
import { type ControllerRevision, type PodTemplateSpec, templateOfRevision } from '../apis';
import type { Preview } from './preview';

/** Columns padded to their widest cell, separated by three spaces (kubectl's tabwriter look). */
export function table(rows: string[][]): string {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? 0, cell.length);
    });
  }
  return rows
    .map((row) =>
      row
        .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd((widths[i] ?? 0) + 3)))
        .join('')
        .trimEnd(),
    )
    .map((line) => `${line}\n`)
    .join('');
}

export function planText(p: Preview): string {
  const head = `${p.kind.toLowerCase()}/${p.name}: ${p.currentRevision || '(none)'} -> ${p.updateRevision}`;
  const lines = [head];
  const rows: string[][] = [['BATCH', 'POD', 'UPDATE', 'WHY']];
  p.batches.forEach((batch, i) => {
    for (const u of batch.pods) {
      const how = u.hooked ? `${u.how} (after its inPlaceUpdate hook)` : u.how;
      rows.push([String(i + 1), u.pod, how, u.why]);
    }
    if (batch.created > 0) {
      rows.push([String(i + 1), `+${batch.created} new`, 'create', 'at the update revision']);
    }
  });
  if (rows.length === 1) lines.push('No pod changes: the workload is at its update revision.');
  const out = [`${lines.join('\n')}\n`, rows.length > 1 ? table(rows) : ''];
  if (p.held.length > 0) {
    out.push(`Stay at their revision: ${p.held.map((h) => `${h.pod} (${h.why})`).join(', ')}\n`);
  }
  if (p.removed.length > 0) out.push(`Removed (scale in): ${p.removed.join(', ')}\n`);
  if (p.stopped) out.push(`Stops: ${p.stopped}\n`);
  for (const note of p.notes) out.push(`Note: ${note}\n`);
  out.push(
    `${p.batches.length} batch${p.batches.length === 1 ? '' : 'es'}, assuming each batch becomes ready.\n`,
  );
  return out.join('');
}

export function imagesOf(template: PodTemplateSpec | undefined): string {
  return (template?.spec.containers ?? []).map((c) => `${c.name}=${c.image}`).join(',');
}

const CHANGE_CAUSE = 'kubernetes.io/change-cause';

export function historyTable(revisions: ControllerRevision[], updateRevision?: string): string {
  const rows = [['REVISION', 'NAME', 'IMAGES', 'CHANGE-CAUSE']];
  for (const r of revisions) {
    const current = r.metadata.name === updateRevision ? ' (current)' : '';
    rows.push([
      `${r.revision ?? 0}${current}`,
      r.metadata.name ?? '',
      imagesOf(templateOfRevision(r)) || '<none>',
      r.metadata.annotations?.[CHANGE_CAUSE] ?? '<none>',
    ]);
  }
  return table(rows);
}
