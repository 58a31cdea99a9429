// The kinds the plugin works on and the names a user may call them by, kubectl style: `cloneset/web`,
// `cloneset web`, `cs/web`, `asts/db`, `statefulset.apps.kruise.io/db`. In this plugin `statefulset`
// means the Advanced StatefulSet (apps.kruise.io), as in kubectl-kruise.
import { resourceOf } from '../apis/install';
import type { KindName } from '../apis/kinds';
import { Deployments, type ResourceType } from '../runtime/meta';
import { UsageError } from './args';

export type TargetKind = KindName | 'Deployment';

const ALIASES: Record<string, TargetKind> = {
  cloneset: 'CloneSet',
  clonesets: 'CloneSet',
  cs: 'CloneSet',
  'cloneset.apps.kruise.io': 'CloneSet',
  statefulset: 'StatefulSet',
  statefulsets: 'StatefulSet',
  sts: 'StatefulSet',
  asts: 'StatefulSet',
  advancedstatefulset: 'StatefulSet',
  advancedstatefulsets: 'StatefulSet',
  'statefulset.apps.kruise.io': 'StatefulSet',
  broadcastjob: 'BroadcastJob',
  broadcastjobs: 'BroadcastJob',
  bcj: 'BroadcastJob',
  'broadcastjob.apps.kruise.io': 'BroadcastJob',
  sidecarset: 'SidecarSet',
  sidecarsets: 'SidecarSet',
  'sidecarset.apps.kruise.io': 'SidecarSet',
  deployment: 'Deployment',
  deployments: 'Deployment',
  deploy: 'Deployment',
  'deployment.apps': 'Deployment',
};

/** The kind names completion offers. */
export const KIND_WORDS = ['cloneset', 'statefulset', 'asts', 'broadcastjob', 'sidecarset'] as const;

export interface Target {
  kind: TargetKind;
  name: string;
}

export function resourceFor(kind: TargetKind): ResourceType {
  return kind === 'Deployment' ? Deployments : resourceOf(kind);
}

export function kindOf(word: string): TargetKind {
  const kind = ALIASES[word.toLowerCase()];
  if (!kind) {
    throw new UsageError(
      `unknown kind "${word}": want one of cloneset, statefulset (asts), broadcastjob, sidecarset`,
    );
  }
  return kind;
}

/**
 * `kind/name` or `kind name` from the positional arguments; returns the target and the arguments left.
 * `allowed` lists the kinds the command supports.
 */
export function parseTarget(
  args: string[],
  allowed: readonly TargetKind[],
): { target: Target; rest: string[] } {
  const [first, second, ...others] = args;
  if (!first) throw new UsageError(`a resource is required, e.g. ${example(allowed)}`);
  let target: Target;
  let rest: string[];
  if (first.includes('/')) {
    const [word, name, ...extra] = first.split('/');
    if (!name || extra.length > 0) throw new UsageError(`"${first}" is not of the form kind/name`);
    target = { kind: kindOf(word as string), name };
    rest = second === undefined ? others : [second, ...others];
  } else {
    if (!second) throw new UsageError(`a name is required after "${first}", e.g. ${example(allowed)}`);
    target = { kind: kindOf(first), name: second };
    rest = others;
  }
  if (!allowed.includes(target.kind)) {
    throw new UsageError(`this command does not work on ${target.kind}: want one of ${allowed.join(', ')}`);
  }
  return { target, rest };
}

function example(allowed: readonly TargetKind[]): string {
  return `${(allowed[0] ?? 'CloneSet').toLowerCase()}/web`;
}
