// The controllers a manager can run, each with the switch name `--controllers` uses, and the parser of
// that flag. The syntax is kube-controller-manager's: `*` runs every controller, `name` runs one,
// `-name` switches one off (`*,-sidecarset` runs all but the SidecarSet controller).
import type { KindName } from '../apis/kinds';
import type { Manager } from '../runtime/manager';
import { setupBroadcastJobController } from './broadcastjob';
import { setupCloneSetController } from './cloneset';
import { setupSidecarSetController } from './sidecarset';
import { setupStatefulSetController } from './statefulset';

export interface ControllerContext {
  /** The operator's namespace (SidecarSet revisions live there). */
  namespace: string;
}

export interface ControllerEntry {
  /** The name `--controllers` uses. */
  name: string;
  kind: KindName;
  setup(mgr: Manager, context: ControllerContext): void;
  /** What happens to an object of this kind while its controller is off (the NoController Event says it). */
  whenOff: string;
}

const WORKLOAD_OFF = 'nothing creates, updates or deletes its pods, and its status is not written';

export const CONTROLLERS: readonly ControllerEntry[] = [
  { name: 'cloneset', kind: 'CloneSet', setup: (mgr) => setupCloneSetController(mgr), whenOff: WORKLOAD_OFF },
  {
    name: 'statefulset',
    kind: 'StatefulSet',
    setup: (mgr) => setupStatefulSetController(mgr),
    whenOff: WORKLOAD_OFF,
  },
  {
    name: 'broadcastjob',
    kind: 'BroadcastJob',
    setup: (mgr) => setupBroadcastJobController(mgr),
    whenOff: WORKLOAD_OFF,
  },
  {
    name: 'sidecarset',
    kind: 'SidecarSet',
    setup: (mgr, { namespace }) => setupSidecarSetController(mgr, { namespace }),
    whenOff:
      'the pod webhook still injects its sidecars into new pods, but running pods are not upgraded ' +
      'and its status is not written',
  },
];

export const CONTROLLER_NAMES = CONTROLLERS.map((c) => c.name);

export interface ControllerSelection {
  enabled: ControllerEntry[];
  disabled: ControllerEntry[];
}

/** Parses a `--controllers` value; throws a message naming the bad item and the known names. */
export function selectControllers(value: string): ControllerSelection {
  const items = value.split(',').map((item) => item.trim());
  if (items.some((item) => item === '')) {
    throw new Error(
      `--controllers: empty item in "${value}"; use * for all, a name to run one, -name to switch one off`,
    );
  }
  const on = new Set<string>();
  const off = new Set<string>();
  let all = false;
  for (const item of items) {
    if (item === '*') {
      all = true;
      continue;
    }
    const negated = item.startsWith('-');
    const name = negated ? item.slice(1) : item;
    if (!CONTROLLER_NAMES.includes(name)) {
      throw new Error(
        `--controllers: unknown controller "${name}"; known: ${CONTROLLER_NAMES.join(', ')} ` +
          '(* for all, -name to switch one off)',
      );
    }
    if ((negated ? on : off).has(name)) {
      throw new Error(`--controllers: "${name}" is both switched on and off in "${value}"`);
    }
    (negated ? off : on).add(name);
  }
  const enabled = (c: ControllerEntry) => on.has(c.name) || (all && !off.has(c.name));
  return {
    enabled: CONTROLLERS.filter(enabled),
    disabled: CONTROLLERS.filter((c) => !enabled(c)),
  };
}
