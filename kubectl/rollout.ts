// `rollout status|history|undo|pause|resume|restart|plan`, kubectl's rollout verbs on our kinds, through
// their own fields (updateStrategy.paused, partition) and ControllerRevisions.
import * as fs from 'node:fs';
import { parseAllDocuments } from 'yaml';
import {
  applyDefaults,
  type BroadcastJob,
  type CloneSet,
  type ControllerRevision,
  type Pod,
  type PodTemplateSpec,
  type SidecarSet,
  type StatefulSet,
  templateOfRevision,
} from '../apis';
import { revisionSource as cloneSetRevisions } from '../controllers/cloneset';
import { revisionSource as statefulSetRevisions } from '../controllers/statefulset';
import { activeRevisions } from '../controllers/workload';
import { Discovery } from '../runtime/discovery';
import type { KubeObject } from '../runtime/meta';
import { bool, type FlagSpec, num, type Parsed, str, UsageError } from './args';
import { parseTarget, type Target, type TargetKind } from './kinds';
import { type Preview, previewRollout } from './preview';
import {
  broadcastJobProgress,
  cloneSetProgress,
  type Progress,
  progressLine,
  sidecarSetProgress,
  statefulSetProgress,
  summary,
} from './progress';
import { historyTable, planText } from './render';
import { OUTPUT_FLAG, printObject, qualifiedName, type Session } from './session';

const ROLLING: TargetKind[] = ['CloneSet', 'StatefulSet'];
const ALL: TargetKind[] = ['CloneSet', 'StatefulSet', 'BroadcastJob', 'SidecarSet'];

export interface CommandDef {
  path: string[];
  summary: string;
  usage: string;
  kinds: TargetKind[];
  flags: FlagSpec[];
  examples: string[];
  run(session: Session, parsed: Parsed): Promise<number>;
}

// ---- status

async function progressOf(session: Session, target: Target): Promise<Progress> {
  const obj = await session.getDefaulted<KubeObject>(target);
  const now = new Date();
  switch (target.kind) {
    case 'CloneSet':
      return cloneSetProgress(obj as CloneSet, await session.podsOf(obj as never), now);
    case 'StatefulSet':
      return statefulSetProgress(obj as StatefulSet, await session.podsOf(obj as never), now);
    case 'BroadcastJob':
      return broadcastJobProgress(obj as BroadcastJob);
    default:
      return sidecarSetProgress(obj as SidecarSet);
  }
}

const status: CommandDef = {
  path: ['rollout', 'status'],
  summary: 'Show the rollout status, with a live progress bar until it finishes',
  usage: 'rollout status (KIND/NAME | KIND NAME) [--watch=false] [--timeout=DURATION] [--interval=DURATION]',
  kinds: ALL,
  flags: [
    { name: 'watch', short: 'w', type: 'boolean', default: true, help: 'watch until the rollout finishes' },
    {
      name: 'timeout',
      type: 'duration',
      default: 0,
      help: 'give up after this long (exit 1); 0 waits forever',
    },
    { name: 'interval', type: 'duration', default: 1000, help: 'how often to look again while watching' },
  ],
  examples: [
    'kubectl outrigger rollout status cloneset/web',
    'kubectl outrigger rollout status asts/db --timeout=5m',
    'kubectl outrigger rollout status broadcastjob/warmup --watch=false',
  ],
  async run(session, parsed) {
    const { target } = parseTarget(parsed.args, ALL);
    const io = session.io;
    const timeout = num(parsed, 'timeout') ?? 0;
    const interval = Math.max(100, num(parsed, 'interval') ?? 1000);
    const deadline = timeout > 0 ? Date.now() + timeout : Number.POSITIVE_INFINITY;
    let last = '';
    for (;;) {
      const p = await progressOf(session, target);
      if (p.failed) {
        io.err(`${summary(p)}\n`);
        return 1;
      }
      if (p.done || !bool(parsed, 'watch')) {
        if (io.tty && last) io.out('\r\x1b[2K');
        if (!p.done) io.out(`${progressLine(p)}\n`);
        io.out(`${summary(p)}\n`);
        return 0;
      }
      const line = `${progressLine(p)}${p.blockers.length > 0 ? `  (${p.blockers.join('; ')})` : ''}`;
      if (io.tty) io.out(`\r\x1b[2K${line}`);
      else if (line !== last) io.out(`${line}\n`);
      last = line;
      if (Date.now() + interval > deadline) {
        if (io.tty) io.out('\n');
        io.err(`error: timed out waiting for the rollout: ${summary(p)}\n`);
        return 1;
      }
      await new Promise((r) => setTimeout(r, interval));
    }
  },
};

// ---- history / undo

function revisionsTarget(parsed: Parsed) {
  return parseTarget(parsed.args, ROLLING).target;
}

const history: CommandDef = {
  path: ['rollout', 'history'],
  summary: 'List the revisions of a CloneSet or Advanced StatefulSet, or show one',
  usage: 'rollout history (KIND/NAME | KIND NAME) [--revision=N] [-o json|yaml]',
  kinds: ROLLING,
  flags: [{ name: 'revision', type: 'int', help: 'show the pod template of this revision' }, OUTPUT_FLAG],
  examples: [
    'kubectl outrigger rollout history cloneset/web',
    'kubectl outrigger rollout history asts/db --revision=2',
  ],
  async run(session, parsed) {
    const target = revisionsTarget(parsed);
    const owner = await session.get<KubeObject & { status?: { updateRevision?: string } }>(target);
    const revisions = await session.revisionsOf(owner);
    const wanted = num(parsed, 'revision');
    if (wanted !== undefined) {
      const rev = revisions.find((r) => r.revision === wanted);
      if (!rev) throw new UsageError(`${qualifiedName(target)} has no revision ${wanted}`);
      if (printObject(session.io, parsed, rev)) return 0;
      session.io.out(`${qualifiedName(target)} with revision #${wanted}\n`);
      session.io.out(renderTemplate(templateOfRevision(rev)));
      return 0;
    }
    if (printObject(session.io, parsed, { apiVersion: 'v1', kind: 'List', items: revisions })) return 0;
    session.io.out(`${qualifiedName(target)}\n${historyTable(revisions, owner.status?.updateRevision)}`);
    return 0;
  },
};

function renderTemplate(template: PodTemplateSpec | undefined): string {
  if (!template) return '  (no pod template)\n';
  const labels = Object.entries(template.metadata?.labels ?? {}).map(([k, v]) => `${k}=${v}`);
  const lines = ['Pod Template:', `  Labels:\t${labels.join('\n\t\t') || '<none>'}`, '  Containers:'];
  for (const c of template.spec.containers ?? []) {
    lines.push(`   ${c.name}:`, `    Image:\t${c.image}`);
    const req = c.resources?.requests;
    if (req)
      lines.push(
        `    Requests:\t${Object.entries(req)
          .map(([k, v]) => `${k}=${v}`)
          .join(', ')}`,
      );
  }
  return `${lines.join('\n')}\n`;
}

/**
 * The revision the workload's template is at, named as the controller names it (the kit's
 * activeRevisions on the defaulted object): the revision stores the template with the apiserver's
 * defaults, so comparing templates directly would tell them apart.
 */
export function currentRevisionName(
  kind: TargetKind,
  owner: KubeObject,
  revisions: ControllerRevision[],
): string {
  const source =
    kind === 'CloneSet'
      ? cloneSetRevisions(applyDefaults('CloneSet', structuredClone(owner) as CloneSet))
      : statefulSetRevisions(applyDefaults('StatefulSet', structuredClone(owner) as StatefulSet));
  return activeRevisions(source, revisions).updateRevision.metadata.name ?? '';
}

/** The revision undo goes to: --to-revision, else the newest one other than the current. */
export function undoTarget(
  revisions: ControllerRevision[],
  current: string,
  toRevision: number,
): ControllerRevision {
  if (toRevision > 0) {
    const rev = revisions.find((r) => r.revision === toRevision);
    if (!rev) throw new UsageError(`unable to find the specified revision ${toRevision}`);
    return rev;
  }
  const previous = revisions
    .filter((r) => r.metadata.name !== current)
    .sort((a, b) => (b.revision ?? 0) - (a.revision ?? 0))[0];
  if (!previous)
    throw new UsageError('no rollout history found: there is no previous revision to go back to');
  return previous;
}

const undo: CommandDef = {
  path: ['rollout', 'undo'],
  summary: 'Roll back to the previous revision, or to --to-revision',
  usage: 'rollout undo (KIND/NAME | KIND NAME) [--to-revision=N] [-o json|yaml]',
  kinds: ROLLING,
  flags: [
    {
      name: 'to-revision',
      type: 'int',
      default: 0,
      help: 'the revision to go back to; 0 = the previous one',
    },
    OUTPUT_FLAG,
  ],
  examples: [
    'kubectl outrigger rollout undo cloneset/web',
    'kubectl outrigger rollout undo asts/db --to-revision=1',
  ],
  async run(session, parsed) {
    const target = revisionsTarget(parsed);
    const owner = await session.get<KubeObject & { spec: { template: PodTemplateSpec } }>(target);
    const revisions = await session.revisionsOf(owner);
    const current = currentRevisionName(target.kind, owner, revisions);
    const to = undoTarget(revisions, current, num(parsed, 'to-revision') ?? 0);
    const template = templateOfRevision(to);
    if (!template) throw new UsageError(`revision ${to.revision} has no pod template`);
    if (to.metadata.name === current) {
      session.io.out(
        `${qualifiedName(target)} skipped rollback (current template already matches revision ${to.revision})\n`,
      );
      return 0;
    }
    // Replace the template whole, guarded by the version we compared against.
    const patch = [
      { op: 'test', path: '/metadata/resourceVersion', value: owner.metadata?.resourceVersion },
      { op: 'replace', path: '/spec/template', value: template },
    ];
    const updated = await session
      .resource(target)
      .patch({ namespace: session.namespace, name: target.name }, patch, { type: 'json' });
    if (!printObject(session.io, parsed, updated))
      session.io.out(`${qualifiedName(target)} rolled back to revision ${to.revision}\n`);
    return 0;
  },
};

// ---- pause / resume / restart

/** Where each kind keeps its pause switch, as a merge patch. */
function pausePatch(kind: TargetKind, paused: boolean): Record<string, unknown> {
  switch (kind) {
    case 'StatefulSet':
      return { spec: { updateStrategy: { rollingUpdate: { paused } } } };
    case 'BroadcastJob':
      return { spec: { paused } };
    default:
      return { spec: { updateStrategy: { paused } } };
  }
}

function isPaused(kind: TargetKind, obj: KubeObject): boolean {
  const spec = (
    obj as {
      spec?: {
        paused?: boolean;
        updateStrategy?: { paused?: boolean; rollingUpdate?: { paused?: boolean } };
      };
    }
  ).spec;
  if (kind === 'StatefulSet') return spec?.updateStrategy?.rollingUpdate?.paused === true;
  if (kind === 'BroadcastJob') return spec?.paused === true;
  return spec?.updateStrategy?.paused === true;
}

function pauseCommand(verb: 'pause' | 'resume'): CommandDef {
  const pausing = verb === 'pause';
  return {
    path: ['rollout', verb],
    summary: pausing
      ? 'Pause a rollout: no pod moves to the new revision until resumed'
      : 'Resume a paused rollout',
    usage: `rollout ${verb} (KIND/NAME | KIND NAME) [-o json|yaml]`,
    kinds: ALL,
    flags: [OUTPUT_FLAG],
    examples: [
      `kubectl outrigger rollout ${verb} cloneset/web`,
      `kubectl outrigger rollout ${verb} sidecarset/log-agent`,
    ],
    async run(session, parsed) {
      const { target } = parseTarget(parsed.args, ALL);
      const obj = await session.get<KubeObject>(target);
      if (isPaused(target.kind, obj) === pausing) {
        session.io.err(`error: ${qualifiedName(target)} is ${pausing ? 'already paused' : 'not paused'}\n`);
        return 1;
      }
      const updated = await session
        .resource(target)
        .patch({ namespace: session.namespace, name: target.name }, pausePatch(target.kind, pausing), {
          type: 'merge',
        });
      if (!printObject(session.io, parsed, updated))
        session.io.out(`${qualifiedName(target)} ${pausing ? 'paused' : 'resumed'}\n`);
      return 0;
    },
  };
}

/** kubectl-kruise's annotations: CloneSet its own, the others kubectl's. */
export const restartAnnotation = (kind: TargetKind) =>
  kind === 'CloneSet' ? 'kubectl.kruise.io/restartedAt' : 'kubectl.kubernetes.io/restartedAt';

const restart: CommandDef = {
  path: ['rollout', 'restart'],
  summary: 'Roll every pod to a new revision (a restartedAt template annotation)',
  usage: 'rollout restart (KIND/NAME | KIND NAME) [-o json|yaml]',
  kinds: ROLLING,
  flags: [OUTPUT_FLAG],
  examples: ['kubectl outrigger rollout restart cloneset/web'],
  async run(session, parsed) {
    const { target } = parseTarget(parsed.args, ROLLING);
    const obj = await session.get<KubeObject>(target);
    if (isPaused(target.kind, obj)) {
      throw new UsageError(`can't restart paused ${qualifiedName(target)} (run rollout resume first)`);
    }
    const at = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    const patch = {
      spec: { template: { metadata: { annotations: { [restartAnnotation(target.kind)]: at } } } },
    };
    const updated = await session
      .resource(target)
      .patch({ namespace: session.namespace, name: target.name }, patch, { type: 'merge' });
    if (!printObject(session.io, parsed, updated)) session.io.out(`${qualifiedName(target)} restarted\n`);
    return 0;
  },
};

// ---- plan

/** `--image app=nginx:2,sidecar=busybox:1`: containers must exist. */
export function withImages(template: PodTemplateSpec, images: string[]): PodTemplateSpec {
  const next = structuredClone(template);
  for (const item of images) {
    const eq = item.indexOf('=');
    if (eq <= 0 || eq === item.length - 1) throw new UsageError(`--image "${item}" is not CONTAINER=IMAGE`);
    const name = item.slice(0, eq);
    const container = next.spec.containers.find((c) => c.name === name);
    if (!container) {
      const known = next.spec.containers.map((c) => c.name).join(', ');
      throw new UsageError(`--image: no container "${name}" in the pod template (it has ${known})`);
    }
    container.image = item.slice(eq + 1);
  }
  return next;
}

const plan: CommandDef = {
  path: ['rollout', 'plan'],
  summary: 'Preview a rollout: which pods update in which batch, in place or recreated, and why',
  usage: 'rollout plan (KIND/NAME | KIND NAME) [-f FILE | --image CONTAINER=IMAGE ...] [-o json|yaml]',
  kinds: ROLLING,
  flags: [
    { name: 'filename', short: 'f', type: 'string', help: 'the workload as you would apply it (one object)' },
    {
      name: 'image',
      type: 'list',
      help: 'preview `kubectl set image`: CONTAINER=IMAGE, repeatable or comma-separated',
    },
    OUTPUT_FLAG,
  ],
  examples: [
    'kubectl outrigger rollout plan cloneset/web --image app=nginx:1.27',
    'kubectl outrigger rollout plan asts/db -f db.yaml',
    'kubectl outrigger rollout plan cloneset/web   # what is left of the rollout in progress',
  ],
  async run(session, parsed) {
    const { target } = parseTarget(parsed.args, ROLLING);
    const preview = await previewFor(session, target, parsed);
    if (printObject(session.io, parsed, preview)) return 0;
    session.io.out(planText(preview));
    return 0;
  },
};

/** Reads the workload and what it controls, applies the proposed change (server-side dry run), previews. */
export async function previewFor(session: Session, target: Target, parsed: Parsed): Promise<Preview> {
  const live = await session.get<KubeObject & { spec: { template: PodTemplateSpec } }>(target);
  let proposed: KubeObject = live;
  const file = str(parsed, 'filename');
  const images = (parsed.flags.image as string[] | undefined) ?? [];
  if (file && images.length > 0) throw new UsageError('use either -f or --image, not both');
  if (file) proposed = await readProposed(file, target, live);
  else if (images.length > 0)
    proposed = {
      ...live,
      spec: { ...live.spec, template: withImages(live.spec.template, images) },
    } as KubeObject;
  if (proposed !== live) {
    // Admission as the apiserver would run it (defaults, webhooks, validation), nothing stored.
    proposed = await session.resource(target).update(proposed, { dryRun: true });
  }
  const owner =
    target.kind === 'CloneSet'
      ? applyDefaults('CloneSet', proposed as CloneSet)
      : applyDefaults('StatefulSet', proposed as StatefulSet);
  const [pods, revisions, claims] = await Promise.all([
    session.podsOf(live as never),
    session.revisionsOf(live),
    session.claimsIn(),
  ]);
  const resizeSupported = await new Discovery(session.client).serves('v1', 'pods/resize');
  return previewRollout({
    kind: target.kind as 'CloneSet' | 'StatefulSet',
    owner,
    pods: pods as Pod[],
    revisions,
    pvcs:
      target.kind === 'CloneSet'
        ? claims.filter(
            (c) =>
              c.metadata?.ownerReferences?.some((o) => o.uid === live.metadata?.uid) &&
              !c.metadata?.deletionTimestamp,
          )
        : claims,
    now: new Date(),
    resizeSupported,
  });
}

async function readProposed(file: string, target: Target, live: KubeObject): Promise<KubeObject> {
  let text: string;
  try {
    text = file === '-' ? fs.readFileSync(0, 'utf8') : fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read ${file}: ${(err as Error).message}`);
  }
  const docs = parseAllDocuments(text)
    .map((d) => d.toJS() as KubeObject | null)
    .filter((d): d is KubeObject => d !== null);
  const doc = docs.find((d) => d.kind === target.kind && (d.metadata?.name ?? target.name) === target.name);
  if (!doc) throw new UsageError(`${file} has no ${target.kind} named ${target.name}`);
  return {
    ...doc,
    metadata: {
      ...live.metadata,
      labels: doc.metadata?.labels ?? live.metadata?.labels,
      annotations: doc.metadata?.annotations ?? live.metadata?.annotations,
    },
    status: (live as { status?: unknown }).status,
  } as KubeObject;
}

export const ROLLOUT_COMMANDS: CommandDef[] = [
  status,
  history,
  undo,
  pauseCommand('pause'),
  pauseCommand('resume'),
  restart,
  plan,
];
