// `scaledown` (delete chosen CloneSet pods and shrink it by as many, as kubectl-kruise does) and
// `migrate deployment/<name> --to cloneset` (an equivalent CloneSet, and the Deployment scaled down step
// by step as the CloneSet's pods become available).
import type { CloneSet, PodTemplateSpec } from '../apis';
import { type LabelSelector, PodTemplateHashLabel } from '../apis';
import { isAlreadyExists } from '../runtime/errors';
import type { KubeObject } from '../runtime/meta';
import { bool, list, num, str, UsageError } from './args';
import { kindOf, parseTarget } from './kinds';
import type { CommandDef } from './rollout';
import { OUTPUT_FLAG, printObject, qualifiedName } from './session';

const scaledown: CommandDef = {
  path: ['scaledown'],
  summary: 'Delete the named pods of a CloneSet and lower its replicas by as many',
  usage: 'scaledown (cloneset/NAME | cloneset NAME) --pods POD[,POD...] [-o json|yaml]',
  kinds: ['CloneSet'],
  flags: [
    { name: 'pods', type: 'list', help: 'the pods to delete, comma-separated or repeated' },
    OUTPUT_FLAG,
  ],
  examples: ['kubectl outrigger scaledown cloneset/web --pods web-abcde,web-fghij'],
  async run(session, parsed) {
    const { target } = parseTarget(parsed.args, ['CloneSet']);
    const names = [...new Set(list(parsed, 'pods'))];
    if (names.length === 0) throw new UsageError('--pods is required: the pods to delete');
    const cs = await session.get<CloneSet & KubeObject>(target);
    const owned = new Set((await session.podsOf(cs)).map((p) => p.metadata.name));
    const foreign = names.filter((n) => !owned.has(n));
    if (foreign.length > 0) {
      throw new UsageError(`not pods of ${qualifiedName(target)}: ${foreign.join(', ')}`);
    }
    const listed = cs.spec?.scaleStrategy?.podsToDelete ?? [];
    const adding = names.filter((n) => !listed.includes(n));
    const replicas = (cs.spec?.replicas ?? 1) - adding.length;
    if (replicas < 0)
      throw new UsageError(`cannot delete ${adding.length} pods from ${cs.spec?.replicas} replicas`);
    // Guarded by the version read: a concurrent scale would otherwise be lost.
    const patch = {
      metadata: { resourceVersion: cs.metadata?.resourceVersion },
      spec: { replicas, scaleStrategy: { podsToDelete: [...listed, ...adding] } },
    };
    const updated = await session
      .resource(target)
      .patch({ namespace: session.namespace, name: target.name }, patch, { type: 'merge' });
    if (!printObject(session.io, parsed, updated)) {
      session.io.out(
        `${qualifiedName(target)} scaled down to ${replicas}: deleting ${adding.join(', ') || 'nothing new'}\n`,
      );
    }
    return 0;
  },
};

interface Deployment extends KubeObject {
  spec: {
    replicas?: number;
    selector: LabelSelector;
    template: PodTemplateSpec;
    minReadySeconds?: number;
    revisionHistoryLimit?: number;
    strategy?: {
      type?: string;
      rollingUpdate?: { maxUnavailable?: number | string; maxSurge?: number | string };
    };
  };
  status?: { replicas?: number; availableReplicas?: number };
}

const DROPPED_ANNOTATIONS = [
  'deployment.kubernetes.io/revision',
  'kubectl.kubernetes.io/last-applied-configuration',
];

/** The CloneSet equivalent of a Deployment: same selector, template, readiness and rolling budget. */
export function cloneSetFromDeployment(
  dep: Deployment,
  name: string,
  replicas: number,
): CloneSet & KubeObject {
  const template = structuredClone(dep.spec.template);
  if (template.metadata?.labels) delete template.metadata.labels[PodTemplateHashLabel];
  const annotations = Object.fromEntries(
    Object.entries(dep.metadata?.annotations ?? {}).filter(([k]) => !DROPPED_ANNOTATIONS.includes(k)),
  );
  const rolling = dep.spec.strategy?.rollingUpdate;
  const recreate = dep.spec.strategy?.type === 'Recreate';
  return {
    apiVersion: 'apps.kruise.io/v1alpha1',
    kind: 'CloneSet',
    metadata: { name, namespace: dep.metadata?.namespace, labels: dep.metadata?.labels, annotations },
    spec: {
      replicas,
      selector: dep.spec.selector,
      template,
      minReadySeconds: dep.spec.minReadySeconds,
      revisionHistoryLimit: dep.spec.revisionHistoryLimit,
      updateStrategy: {
        type: 'ReCreate',
        maxUnavailable: recreate ? '100%' : (rolling?.maxUnavailable ?? '25%'),
        maxSurge: recreate ? 0 : (rolling?.maxSurge ?? '25%'),
      },
    },
  } as CloneSet & KubeObject;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const migrate: CommandDef = {
  path: ['migrate'],
  summary: 'Move a Deployment to an equivalent CloneSet',
  usage:
    'migrate deployment/NAME --to cloneset [--name NAME] [--scale-down=true] [--max-surge=N] [--timeout=DURATION] [--dry-run] [-o json|yaml]',
  kinds: ['Deployment'],
  flags: [
    { name: 'to', type: 'string', help: 'the kind to migrate to (cloneset)' },
    { name: 'name', type: 'string', help: 'the CloneSet name (default: the Deployment name)' },
    {
      name: 'scale-down',
      type: 'boolean',
      default: true,
      help: 'start the CloneSet at 0 and move pods over: up by --max-surge, wait until available, then the Deployment down by as many. false: the CloneSet gets all replicas at once and the Deployment is left as it is',
    },
    { name: 'max-surge', type: 'int', default: 1, help: 'pods moved per step with --scale-down' },
    {
      name: 'timeout',
      type: 'duration',
      default: 300_000,
      help: 'give up when a step takes longer (exit 1)',
    },
    { name: 'dry-run', type: 'boolean', help: 'print the CloneSet, create nothing' },
    OUTPUT_FLAG,
  ],
  examples: [
    'kubectl outrigger migrate deployment/web --to cloneset',
    'kubectl outrigger migrate deployment/web --to cloneset --scale-down=false --name web-v2',
    'kubectl outrigger migrate deployment/web --to cloneset --dry-run -o yaml',
  ],
  async run(session, parsed) {
    const { target } = parseTarget(parsed.args, ['Deployment']);
    const to = str(parsed, 'to');
    if (!to) throw new UsageError('--to is required: migrate deployment/NAME --to cloneset');
    if (kindOf(to) !== 'CloneSet')
      throw new UsageError(`cannot migrate to ${to}: only --to cloneset is supported`);
    const step = num(parsed, 'max-surge') ?? 1;
    if (step < 1) throw new UsageError('--max-surge must be at least 1');
    const dep = await session.get<Deployment>(target);
    const total = dep.spec.replicas ?? 1;
    const scaleDown = bool(parsed, 'scale-down');
    const name = str(parsed, 'name') || target.name;
    const cs = cloneSetFromDeployment(dep, name, scaleDown ? 0 : total);
    const csTarget = { kind: 'CloneSet' as const, name };
    if (bool(parsed, 'dry-run')) {
      if (!printObject(session.io, parsed, cs))
        session.io.out(`${qualifiedName(csTarget)} created (dry run)\n`);
      return 0;
    }
    const clonesets = session.resource<CloneSet & KubeObject>(csTarget);
    try {
      await clonesets.create(cs);
    } catch (err) {
      if (isAlreadyExists(err))
        throw new UsageError(`${qualifiedName(csTarget)} already exists: pick another --name`);
      throw err;
    }
    session.io.out(`${qualifiedName(csTarget)} created with ${scaleDown ? 0 : total} replicas\n`);
    if (!scaleDown) {
      session.io.out(
        `${qualifiedName(target)} left as it is: scale it down or delete it when the CloneSet serves\n`,
      );
      return 0;
    }
    const timeout = num(parsed, 'timeout') ?? 300_000;
    const deployments = session.resource<Deployment>(target);
    const ref = (n: string) => ({ namespace: session.namespace, name: n });
    let moved = 0;
    while (moved < total) {
      const n = Math.min(step, total - moved);
      moved += n;
      await clonesets.scale(ref(name), moved);
      await waitAvailable(timeout, `${qualifiedName(csTarget)} to have ${moved} available pods`, async () => {
        const now = await clonesets.get(ref(name));
        return (
          (now.status?.availableReplicas ?? 0) >= moved &&
          (now.status?.observedGeneration ?? 0) >= (now.metadata?.generation ?? 0)
        );
      });
      await deployments.scale(ref(target.name), total - moved);
      session.io.out(
        `moved ${moved}/${total}: ${name} ${moved}, deployment ${target.name} ${total - moved}\n`,
      );
    }
    session.io.out(
      `${qualifiedName(target)} scaled to 0 and kept (its history stays): delete it with kubectl delete deployment ${target.name}\n`,
    );
    return 0;
  },
};

async function waitAvailable(timeoutMs: number, what: string, check: () => Promise<boolean>) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new UsageError(`timed out waiting for ${what}; nothing was rolled back`);
    await sleep(500);
  }
}

export const WORKLOAD_COMMANDS: CommandDef[] = [scaledown, migrate];
