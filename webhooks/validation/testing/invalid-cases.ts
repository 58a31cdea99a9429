// Invalid custom resources, as data: each must be rejected by the real apiserver with `field` in the
// message. `layer` says who rejects it first: 'schema' = the apiserver itself (CRD structural schema,
// built-in ObjectMeta checks, or the scale subresource's non-negative replicas), 'webhook' = our
// validating webhook (validate()); checked against a real kube-apiserver without webhooks. UPDATE cases create
// `oldObject` first and then update it to `object`; `existing` objects must be created beforehand.
// Namespaced objects carry no namespace: the caller picks one.
import type { KindName } from '../../../apis/kinds';

export interface InvalidCase {
  name: string;
  kind: KindName;
  operation: 'CREATE' | 'UPDATE';
  object: Record<string, unknown>;
  oldObject?: Record<string, unknown>;
  existing?: Record<string, unknown>[];
  /** Substring of the field path the rejection must name. */
  field: string;
  layer: 'schema' | 'webhook';
}

// biome-ignore lint/suspicious/noExplicitAny: fixtures are plain JSON that the cases mutate freely.
type Obj = Record<string, any>;

const labels = { app: 'inv' };

function podTemplate(extra: Obj = {}): Obj {
  return {
    metadata: { labels: { ...labels } },
    spec: { containers: [{ name: 'main', image: 'nginx:1.25' }], ...extra },
  };
}

export function validCloneSet(name = 'inv-clone'): Obj {
  return {
    apiVersion: 'apps.kruise.io/v1alpha1',
    kind: 'CloneSet',
    metadata: { name },
    spec: { replicas: 2, selector: { matchLabels: { ...labels } }, template: podTemplate() },
  };
}

export function validStatefulSet(name = 'inv-asts'): Obj {
  return {
    apiVersion: 'apps.kruise.io/v1beta1',
    kind: 'StatefulSet',
    metadata: { name },
    spec: {
      replicas: 2,
      serviceName: 'inv',
      selector: { matchLabels: { ...labels } },
      template: podTemplate({ readinessGates: [{ conditionType: 'InPlaceUpdateReady' }] }),
    },
  };
}

export function validBroadcastJob(name = 'inv-bcj'): Obj {
  return {
    apiVersion: 'apps.kruise.io/v1alpha1',
    kind: 'BroadcastJob',
    metadata: { name },
    spec: { template: podTemplate({ restartPolicy: 'Never' }) },
  };
}

export function validSidecarSet(name = 'inv-sidecarset'): Obj {
  const id = name.replace(/\./g, '-');
  return {
    apiVersion: 'apps.kruise.io/v1alpha1',
    kind: 'SidecarSet',
    metadata: { name },
    spec: {
      selector: { matchLabels: { app: `${id}-target` } },
      containers: [{ name: `${id}-agent`, image: 'busybox:1.36' }],
    },
  };
}

const BASES: Record<KindName, (name: string) => Obj> = {
  CloneSet: validCloneSet,
  StatefulSet: validStatefulSet,
  BroadcastJob: validBroadcastJob,
  SidecarSet: validSidecarSet,
};

/** A case built from the kind's valid base object, named after the case. */
function make(
  kind: KindName,
  name: string,
  field: string,
  layer: InvalidCase['layer'],
  mutate: (o: Obj) => void,
): InvalidCase {
  const object = BASES[kind](name);
  mutate(object);
  return { name, kind, operation: 'CREATE', object, field, layer };
}

/** An UPDATE case: the valid base (optionally prepared) is created, then changed by `mutate`. */
function update(
  kind: KindName,
  name: string,
  field: string,
  mutate: (o: Obj) => void,
  prepare: (o: Obj) => void = () => {},
): InvalidCase {
  const oldObject = BASES[kind](name);
  prepare(oldObject);
  const object = structuredClone(oldObject);
  mutate(object);
  return { name, kind, operation: 'UPDATE', object, oldObject, field, layer: 'webhook' };
}

const containers = (o: Obj) => o.spec.template.spec.containers;

const cloneSetCases: InvalidCase[] = [
  make('CloneSet', 'cs-replicas-string', 'spec.replicas', 'schema', (o) => {
    o.spec.replicas = 'three';
  }),
  make('CloneSet', 'cs-type-enum', 'spec.updateStrategy.type', 'schema', (o) => {
    o.spec.updateStrategy = { type: 'Rolling' };
  }),
  make('CloneSet', 'cs-no-selector', 'spec.selector', 'schema', (o) => {
    delete o.spec.selector;
  }),
  make('CloneSet', 'cs-no-template', 'spec.template', 'schema', (o) => {
    delete o.spec.template;
  }),
  make('CloneSet', 'cs-template-string', 'spec.template', 'schema', (o) => {
    o.spec.template = 'nginx';
  }),
  make('CloneSet', 'cs-paused-string', 'spec.updateStrategy.paused', 'schema', (o) => {
    o.spec.updateStrategy = { paused: 'yes' };
  }),
  make('CloneSet', 'cs-maxsurge-bool', 'spec.updateStrategy.maxSurge', 'schema', (o) => {
    o.spec.updateStrategy = { maxSurge: true };
  }),
  make(
    'CloneSet',
    'cs-finalizers-handler-string',
    'spec.lifecycle.preDelete.finalizersHandler',
    'schema',
    (o) => {
      o.spec.lifecycle = { preDelete: { finalizersHandler: 'example.com/hook' } };
    },
  ),
  make(
    'CloneSet',
    'cs-weight-missing',
    'spec.updateStrategy.priorityStrategy.weightPriority[0].weight',
    'schema',
    (o) => {
      o.spec.updateStrategy = {
        priorityStrategy: { weightPriority: [{ matchSelector: { matchLabels: { a: 'b' } } }] },
      };
    },
  ),
  make('CloneSet', 'cs-scatter-no-value', 'spec.updateStrategy.scatterStrategy[0].value', 'schema', (o) => {
    o.spec.updateStrategy = { scatterStrategy: [{ key: 'zone' }] };
  }),
  make('CloneSet', 'Bad_Name', 'metadata.name', 'schema', () => {}),
  make('CloneSet', 'cs-replicas-negative', 'spec.replicas', 'schema', (o) => {
    o.spec.replicas = -1;
  }),
  make('CloneSet', 'cs-selector-mismatch', 'spec.template.metadata.labels', 'webhook', (o) => {
    o.spec.selector = { matchLabels: { app: 'other' } };
  }),
  make('CloneSet', 'cs-selector-empty', 'spec.selector', 'webhook', (o) => {
    o.spec.selector = {};
  }),
  make('CloneSet', 'cs-selector-operator', 'spec.selector.matchExpressions[0].operator', 'webhook', (o) => {
    o.spec.selector = {
      matchLabels: { ...labels },
      matchExpressions: [{ key: 'app', operator: 'Equals', values: ['inv'] }],
    };
  }),
  make('CloneSet', 'cs-restart-never', 'spec.template.spec.restartPolicy', 'webhook', (o) => {
    o.spec.template.spec.restartPolicy = 'Never';
  }),
  make('CloneSet', 'cs-active-deadline', 'spec.template.spec.activeDeadlineSeconds', 'webhook', (o) => {
    o.spec.template.spec.activeDeadlineSeconds = 30;
  }),
  make('CloneSet', 'cs-no-containers', 'spec.template.spec.containers', 'webhook', (o) => {
    o.spec.template.spec.containers = [];
  }),
  make('CloneSet', 'cs-no-image', 'spec.template.spec.containers[0].image', 'webhook', (o) => {
    delete containers(o)[0].image;
  }),
  make('CloneSet', 'cs-dup-container', 'spec.template.spec.containers[1].name', 'webhook', (o) => {
    containers(o).push({ name: 'main', image: 'busybox:1.36' });
  }),
  make('CloneSet', 'cs-container-name-upper', 'spec.template.spec.containers[0].name', 'webhook', (o) => {
    containers(o)[0].name = 'Main';
  }),
  make(
    'CloneSet',
    'cs-port-range',
    'spec.template.spec.containers[0].ports[0].containerPort',
    'webhook',
    (o) => {
      containers(o)[0].ports = [{ containerPort: 70000 }];
    },
  ),
  make(
    'CloneSet',
    'cs-mount-unknown-volume',
    'spec.template.spec.containers[0].volumeMounts[0].name',
    'webhook',
    (o) => {
      containers(o)[0].volumeMounts = [{ name: 'missing', mountPath: '/data' }];
    },
  ),
  make('CloneSet', 'cs-template-label-value', 'spec.template.metadata.labels', 'webhook', (o) => {
    o.spec.template.metadata.labels.tier = 'not valid!';
  }),
  make('CloneSet', 'cs-partition-not-percent', 'spec.updateStrategy.partition', 'webhook', (o) => {
    o.spec.updateStrategy = { partition: '50' };
  }),
  make('CloneSet', 'cs-partition-negative', 'spec.updateStrategy.partition', 'webhook', (o) => {
    o.spec.updateStrategy = { partition: -1 };
  }),
  make('CloneSet', 'cs-maxunavailable-garbage', 'spec.updateStrategy.maxUnavailable', 'webhook', (o) => {
    o.spec.updateStrategy = { maxUnavailable: 'abc' };
  }),
  make('CloneSet', 'cs-both-zero', 'spec.updateStrategy.maxUnavailable', 'webhook', (o) => {
    o.spec.updateStrategy = { maxUnavailable: 0, maxSurge: 0 };
  }),
  make('CloneSet', 'cs-inplaceonly-surge', 'spec.updateStrategy.maxSurge', 'webhook', (o) => {
    o.spec.updateStrategy = { type: 'InPlaceOnly', maxSurge: 1 };
  }),
  make('CloneSet', 'cs-ondelete', 'spec.updateStrategy.type', 'webhook', (o) => {
    o.spec.updateStrategy = { type: 'OnDelete' };
  }),
  make('CloneSet', 'cs-priority-both', 'spec.updateStrategy.priorityStrategy', 'webhook', (o) => {
    o.spec.updateStrategy = {
      priorityStrategy: {
        orderPriority: [{ orderedKey: 'rank' }],
        weightPriority: [{ weight: 10, matchSelector: { matchLabels: { a: 'b' } } }],
      },
    };
  }),
  make(
    'CloneSet',
    'cs-weight-range',
    'spec.updateStrategy.priorityStrategy.weightPriority[0].weight',
    'webhook',
    (o) => {
      o.spec.updateStrategy = {
        priorityStrategy: { weightPriority: [{ weight: 101, matchSelector: { matchLabels: { a: 'b' } } }] },
      };
    },
  ),
  make('CloneSet', 'cs-scatter-dup', 'spec.updateStrategy.scatterStrategy[1]', 'webhook', (o) => {
    o.spec.updateStrategy = {
      scatterStrategy: [
        { key: 'zone', value: 'a' },
        { key: 'zone', value: 'a' },
      ],
    };
  }),
  make('CloneSet', 'cs-scatter-empty-key', 'spec.updateStrategy.scatterStrategy[0].key', 'webhook', (o) => {
    o.spec.updateStrategy = { scatterStrategy: [{ key: '', value: 'a' }] };
  }),
  make('CloneSet', 'cs-pods-to-delete-dup', 'spec.scaleStrategy.podsToDelete', 'webhook', (o) => {
    o.spec.scaleStrategy = { podsToDelete: ['p1', 'p1'] };
  }),
  make('CloneSet', 'cs-pods-to-delete-missing', 'spec.scaleStrategy.podsToDelete', 'webhook', (o) => {
    o.spec.scaleStrategy = { podsToDelete: ['no-such-pod'] };
  }),
  make('CloneSet', 'cs-scale-maxunavailable', 'spec.scaleStrategy.maxUnavailable', 'webhook', (o) => {
    o.spec.scaleStrategy = { maxUnavailable: 'many' };
  }),
  make('CloneSet', 'cs-progress-deadline', 'spec.progressDeadlineSeconds', 'webhook', (o) => {
    o.spec.minReadySeconds = 30;
    o.spec.progressDeadlineSeconds = 30;
  }),
  make(
    'CloneSet',
    'cs-predownload-percent',
    'spec.updateStrategy.inPlaceUpdateStrategy.imagePreDownloadParallelism',
    'webhook',
    (o) => {
      o.spec.updateStrategy = {
        type: 'InPlaceIfPossible',
        inPlaceUpdateStrategy: { imagePreDownloadParallelism: '50%' },
      };
    },
  ),
  update('CloneSet', 'cs-update-selector', 'spec.selector', (o) => {
    o.spec.selector = { matchLabels: { ...labels, extra: 'x' } };
    o.spec.template.metadata.labels.extra = 'x';
  }),
  update(
    'CloneSet',
    'cs-update-inplaceonly-env',
    'spec.template.spec',
    (o) => {
      containers(o)[0].env = [{ name: 'MODE', value: 'fast' }];
    },
    (o) => {
      o.spec.updateStrategy = { type: 'InPlaceOnly' };
    },
  ),
  // pods/resize takes cpu and memory only: any other resource needs a new pod, which InPlaceOnly forbids.
  update(
    'CloneSet',
    'cs-update-inplaceonly-ephemeral-storage',
    'spec.template.spec',
    (o) => {
      containers(o)[0].resources = { requests: { 'ephemeral-storage': '2Gi' } };
    },
    (o) => {
      o.spec.updateStrategy = { type: 'InPlaceOnly' };
    },
  ),
];

const statefulSetCases: InvalidCase[] = [
  make('StatefulSet', 'sts-pmp-enum', 'spec.podManagementPolicy', 'schema', (o) => {
    o.spec.podManagementPolicy = 'Burst';
  }),
  make('StatefulSet', 'sts-type-enum', 'spec.updateStrategy.type', 'schema', (o) => {
    o.spec.updateStrategy = { type: 'Rolling' };
  }),
  make(
    'StatefulSet',
    'sts-partition-string',
    'spec.updateStrategy.rollingUpdate.partition',
    'schema',
    (o) => {
      o.spec.updateStrategy = { rollingUpdate: { partition: '1' } };
    },
  ),
  make(
    'StatefulSet',
    'sts-pod-update-policy-enum',
    'spec.updateStrategy.rollingUpdate.podUpdatePolicy',
    'schema',
    (o) => {
      o.spec.updateStrategy = { rollingUpdate: { podUpdatePolicy: 'InPlace' } };
    },
  ),
  make(
    'StatefulSet',
    'sts-retention-enum',
    'spec.persistentVolumeClaimRetentionPolicy.whenDeleted',
    'schema',
    (o) => {
      o.spec.persistentVolumeClaimRetentionPolicy = { whenDeleted: 'Keep' };
    },
  ),
  make('StatefulSet', 'sts-reserve-bool', 'spec.reserveOrdinals[0]', 'schema', (o) => {
    o.spec.reserveOrdinals = [true];
  }),
  make('StatefulSet', 'sts-vcus-enum', 'spec.volumeClaimUpdateStrategy.type', 'schema', (o) => {
    o.spec.volumeClaimUpdateStrategy = { type: 'Always' };
  }),
  make(
    'StatefulSet',
    'sts-maxunavailable-ordered',
    'spec.updateStrategy.rollingUpdate.maxUnavailable',
    'webhook',
    (o) => {
      o.spec.updateStrategy = { rollingUpdate: { maxUnavailable: 2 } };
    },
  ),
  make(
    'StatefulSet',
    'sts-maxunavailable-zero',
    'spec.updateStrategy.rollingUpdate.maxUnavailable',
    'webhook',
    (o) => {
      o.spec.podManagementPolicy = 'Parallel';
      o.spec.updateStrategy = { rollingUpdate: { maxUnavailable: 0 } };
    },
  ),
  make(
    'StatefulSet',
    'sts-maxunavailable-zero-pct',
    'spec.updateStrategy.rollingUpdate.maxUnavailable',
    'webhook',
    (o) => {
      o.spec.podManagementPolicy = 'Parallel';
      o.spec.updateStrategy = { rollingUpdate: { maxUnavailable: '0%' } };
    },
  ),
  make('StatefulSet', 'sts-inplace-no-gate', 'spec.template.spec.readinessGates', 'webhook', (o) => {
    delete o.spec.template.spec.readinessGates;
    o.spec.updateStrategy = { rollingUpdate: { podUpdatePolicy: 'InPlaceIfPossible' } };
  }),
  make(
    'StatefulSet',
    'sts-unordered-ordered',
    'spec.updateStrategy.rollingUpdate.unorderedUpdate',
    'webhook',
    (o) => {
      o.spec.updateStrategy = {
        rollingUpdate: { unorderedUpdate: { priorityStrategy: { orderPriority: [{ orderedKey: 'rank' }] } } },
      };
    },
  ),
  make(
    'StatefulSet',
    'sts-unordered-weight',
    'spec.updateStrategy.rollingUpdate.unorderedUpdate.priorityStrategy.weightPriority[0].weight',
    'webhook',
    (o) => {
      o.spec.podManagementPolicy = 'Parallel';
      o.spec.updateStrategy = {
        rollingUpdate: {
          unorderedUpdate: {
            priorityStrategy: {
              weightPriority: [{ weight: 150, matchSelector: { matchLabels: { a: 'b' } } }],
            },
          },
        },
      };
    },
  ),
  make(
    'StatefulSet',
    'sts-min-ready',
    'spec.updateStrategy.rollingUpdate.minReadySeconds',
    'webhook',
    (o) => {
      o.spec.updateStrategy = { rollingUpdate: { minReadySeconds: 301 } };
    },
  ),
  make(
    'StatefulSet',
    'sts-partition-negative',
    'spec.updateStrategy.rollingUpdate.partition',
    'webhook',
    (o) => {
      o.spec.updateStrategy = { rollingUpdate: { partition: -1 } };
    },
  ),
  make('StatefulSet', 'sts-ondelete-rolling', 'spec.updateStrategy.rollingUpdate', 'webhook', (o) => {
    o.spec.updateStrategy = { type: 'OnDelete', rollingUpdate: { partition: 1 } };
  }),
  make('StatefulSet', 'sts-reserve-range-reversed', 'spec.reserveOrdinals[0]', 'webhook', (o) => {
    o.spec.reserveOrdinals = ['5-3'];
  }),
  make('StatefulSet', 'sts-reserve-range-text', 'spec.reserveOrdinals[1]', 'webhook', (o) => {
    o.spec.reserveOrdinals = [1, 'a-b'];
  }),
  make('StatefulSet', 'sts-reserve-negative', 'spec.reserveOrdinals[0]', 'webhook', (o) => {
    o.spec.reserveOrdinals = [-1];
  }),
  make('StatefulSet', 'sts-scale-maxunavailable', 'spec.scaleStrategy.maxUnavailable', 'webhook', (o) => {
    o.spec.scaleStrategy = { maxUnavailable: 2 };
  }),
  make('StatefulSet', 'sts-selector-mismatch', 'spec.template.metadata.labels', 'webhook', (o) => {
    o.spec.template.metadata.labels = { app: 'other' };
  }),
  make('StatefulSet', 'sts-restart-onfailure', 'spec.template.spec.restartPolicy', 'webhook', (o) => {
    o.spec.template.spec.restartPolicy = 'OnFailure';
  }),
  make('StatefulSet', 'sts-replicas-negative', 'spec.replicas', 'schema', (o) => {
    o.spec.replicas = -2;
  }),
  make('StatefulSet', 'sts-ordinals-start', 'spec.ordinals.start', 'webhook', (o) => {
    o.spec.ordinals = { start: -1 };
  }),
  // Pod names and hostnames are built from it: a DNS label, where a CloneSet may take a subdomain.
  make('StatefulSet', 'sts.dotted.name', 'metadata.name', 'webhook', () => {}),
  update('StatefulSet', 'sts-update-service-name', 'spec.serviceName', (o) => {
    o.spec.serviceName = 'renamed';
  }),
  update('StatefulSet', 'sts-update-pmp', 'spec.podManagementPolicy', (o) => {
    o.spec.podManagementPolicy = 'Parallel';
  }),
  update('StatefulSet', 'sts-update-selector', 'spec.selector', (o) => {
    o.spec.selector = { matchLabels: { ...labels, extra: 'x' } };
    o.spec.template.metadata.labels.extra = 'x';
  }),
  update(
    'StatefulSet',
    'sts-update-inplaceonly-command',
    'spec.template.spec',
    (o) => {
      containers(o)[0].command = ['sleep', '3600'];
    },
    (o) => {
      o.spec.updateStrategy = { rollingUpdate: { podUpdatePolicy: 'InPlaceOnly' } };
    },
  ),
];

const broadcastJobCases: InvalidCase[] = [
  make('BroadcastJob', 'bcj-completion-enum', 'spec.completionPolicy.type', 'schema', (o) => {
    o.spec.completionPolicy = { type: 'Sometimes' };
  }),
  make('BroadcastJob', 'bcj-failure-enum', 'spec.failurePolicy.type', 'schema', (o) => {
    o.spec.failurePolicy = { type: 'Retry' };
  }),
  make('BroadcastJob', 'bcj-parallelism-object', 'spec.parallelism', 'schema', (o) => {
    o.spec.parallelism = { value: 1 };
  }),
  make('BroadcastJob', 'bcj-no-template', 'spec.template', 'schema', (o) => {
    delete o.spec.template;
  }),
  make('BroadcastJob', 'bcj-paused-string', 'spec.paused', 'schema', (o) => {
    o.spec.paused = 'no';
  }),
  make('BroadcastJob', 'bcj-never-ttl', 'spec.completionPolicy.ttlSecondsAfterFinished', 'webhook', (o) => {
    o.spec.completionPolicy = { type: 'Never', ttlSecondsAfterFinished: 60 };
  }),
  make(
    'BroadcastJob',
    'bcj-never-deadline',
    'spec.completionPolicy.activeDeadlineSeconds',
    'webhook',
    (o) => {
      o.spec.completionPolicy = { type: 'Never', activeDeadlineSeconds: 60 };
    },
  ),
  make('BroadcastJob', 'bcj-restart-always', 'spec.template.spec.restartPolicy', 'webhook', (o) => {
    o.spec.template.spec.restartPolicy = 'Always';
  }),
  make('BroadcastJob', 'bcj-restart-unset', 'spec.template.spec.restartPolicy', 'webhook', (o) => {
    delete o.spec.template.spec.restartPolicy;
  }),
  make('BroadcastJob', 'bcj-preset-label', 'spec.template.metadata.labels', 'webhook', (o) => {
    o.spec.template.metadata.labels['broadcastjob-name'] = 'x';
  }),
  make('BroadcastJob', 'bcj.dotted.name', 'metadata.name', 'webhook', () => {}),
  make('BroadcastJob', 'bcj-parallelism-text', 'spec.parallelism', 'webhook', (o) => {
    o.spec.parallelism = 'half';
  }),
  make('BroadcastJob', 'bcj-no-containers', 'spec.template.spec.containers', 'webhook', (o) => {
    o.spec.template.spec.containers = [];
  }),
  make('BroadcastJob', 'bcj-no-image', 'spec.template.spec.containers[0].image', 'webhook', (o) => {
    delete containers(o)[0].image;
  }),
  make('BroadcastJob', 'bcj-restart-limit', 'spec.failurePolicy.restartLimit', 'webhook', (o) => {
    o.spec.failurePolicy = { type: 'Continue', restartLimit: -1 };
  }),
];

const sc = (o: Obj) => o.spec.containers;

const sidecarSetCases: InvalidCase[] = [
  make('SidecarSet', 'ss-type-enum', 'spec.updateStrategy.type', 'schema', (o) => {
    o.spec.updateStrategy = { type: 'Manual' };
  }),
  make('SidecarSet', 'ss-inject-policy-enum', 'spec.containers[0].podInjectPolicy', 'schema', (o) => {
    sc(o)[0].podInjectPolicy = 'Middle';
  }),
  make(
    'SidecarSet',
    'ss-upgrade-type-enum',
    'spec.containers[0].upgradeStrategy.upgradeType',
    'schema',
    (o) => {
      sc(o)[0].upgradeStrategy = { upgradeType: 'WarmUpgrade' };
    },
  ),
  make('SidecarSet', 'ss-revision-policy-enum', 'spec.injectionStrategy.revision.policy', 'schema', (o) => {
    o.spec.injectionStrategy = { revision: { revisionName: 'r1', policy: 'Sometimes' } };
  }),
  make('SidecarSet', 'ss-patch-policy-enum', 'spec.patchPodMetadata[0].patchPolicy', 'schema', (o) => {
    o.spec.patchPodMetadata = [{ annotations: { 'example.com/a': 'b' }, patchPolicy: 'Merge' }];
  }),
  make(
    'SidecarSet',
    'ss-target-mode-enum',
    'spec.containers[0].resourcesPolicy.targetContainersMode',
    'schema',
    (o) => {
      sc(o)[0].resourcesPolicy = { targetContainersMode: 'avg', resourcesExpr: { limits: { cpu: 'cpu' } } };
    },
  ),
  make('SidecarSet', 'ss-containers-string', 'spec.containers', 'schema', (o) => {
    o.spec.containers = 'agent';
  }),
  make('SidecarSet', 'ss-share-volume-enum', 'spec.containers[0].shareVolumePolicy.type', 'schema', (o) => {
    sc(o)[0].shareVolumePolicy = { type: 'yes' };
  }),
  make('SidecarSet', 'ss-no-selector', 'spec.selector', 'webhook', (o) => {
    delete o.spec.selector;
  }),
  make('SidecarSet', 'ss-empty-selector', 'spec.selector', 'webhook', (o) => {
    o.spec.selector = {};
  }),
  make('SidecarSet', 'ss-empty-ns-selector', 'spec.namespaceSelector', 'webhook', (o) => {
    o.spec.namespaceSelector = {};
  }),
  make('SidecarSet', 'ss-partition-and-selector', 'spec.updateStrategy.partition', 'webhook', (o) => {
    o.spec.updateStrategy = { partition: 1, selector: { matchLabels: { canary: 'true' } } };
  }),
  make('SidecarSet', 'ss-partition-garbage', 'spec.updateStrategy.partition', 'webhook', (o) => {
    o.spec.updateStrategy = { partition: 'abc' };
  }),
  make('SidecarSet', 'ss-maxunavailable-negative', 'spec.updateStrategy.maxUnavailable', 'webhook', (o) => {
    o.spec.updateStrategy = { maxUnavailable: -1 };
  }),
  make('SidecarSet', 'ss-scatter-empty-key', 'spec.updateStrategy.scatterStrategy[0].key', 'webhook', (o) => {
    o.spec.updateStrategy = { scatterStrategy: [{ key: '', value: 'a' }] };
  }),
  make('SidecarSet', 'ss-no-containers', 'spec.containers', 'webhook', (o) => {
    o.spec.containers = [];
  }),
  make('SidecarSet', 'ss-dup-containers', 'spec.containers[1].name', 'webhook', (o) => {
    sc(o).push({ name: sc(o)[0].name, image: 'busybox:1.36' });
  }),
  make('SidecarSet', 'ss-container-init-clash', 'spec.initContainers[0].name', 'webhook', (o) => {
    o.spec.initContainers = [{ name: sc(o)[0].name, image: 'busybox:1.36' }];
  }),
  make('SidecarSet', 'ss-container-no-image', 'spec.containers[0].image', 'webhook', (o) => {
    delete sc(o)[0].image;
  }),
  make('SidecarSet', 'ss-mount-unknown-volume', 'spec.containers[0].volumeMounts[0].name', 'webhook', (o) => {
    sc(o)[0].volumeMounts = [{ name: 'missing', mountPath: '/data' }];
  }),
  make('SidecarSet', 'ss-revision-empty', 'spec.injectionStrategy.revision', 'webhook', (o) => {
    o.spec.injectionStrategy = { revision: { policy: 'Always' } };
  }),
  make('SidecarSet', 'ss-patch-no-annotations', 'spec.patchPodMetadata[0].annotations', 'webhook', (o) => {
    o.spec.patchPodMetadata = [{ annotations: {}, patchPolicy: 'Overwrite' }];
  }),
  make('SidecarSet', 'ss-patch-dup-key', 'spec.patchPodMetadata[1].annotations', 'webhook', (o) => {
    o.spec.patchPodMetadata = [
      { annotations: { 'example.com/a': '1' }, patchPolicy: 'Retain' },
      { annotations: { 'example.com/a': '2' }, patchPolicy: 'Overwrite' },
    ];
  }),
  make(
    'SidecarSet',
    'ss-transfer-env-fieldpath',
    'spec.containers[0].transferEnv[0].sourceContainerNameFrom.fieldRef.fieldPath',
    'webhook',
    (o) => {
      sc(o)[0].transferEnv = [
        { sourceContainerNameFrom: { fieldRef: { fieldPath: 'spec.nodeName' } }, envName: 'TZ' },
      ];
    },
  ),
  make('SidecarSet', 'ss-resources-and-policy', 'spec.containers[0].resourcesPolicy', 'webhook', (o) => {
    sc(o)[0].resources = { limits: { cpu: '100m' } };
    sc(o)[0].resourcesPolicy = { targetContainersMode: 'sum', resourcesExpr: { limits: { cpu: 'cpu' } } };
  }),
  make(
    'SidecarSet',
    'ss-resources-expr',
    'spec.containers[0].resourcesPolicy.resourcesExpr.limits.cpu',
    'webhook',
    (o) => {
      sc(o)[0].resourcesPolicy = {
        targetContainersMode: 'max',
        resourcesExpr: { limits: { cpu: 'cpu * (2' } },
      };
    },
  ),
  make(
    'SidecarSet',
    'ss-resources-expr-empty',
    'spec.containers[0].resourcesPolicy.resourcesExpr',
    'webhook',
    (o) => {
      sc(o)[0].resourcesPolicy = { targetContainersMode: 'sum', resourcesExpr: {} };
    },
  ),
  make('SidecarSet', 'ss-native-sidecar-rolling', 'spec.updateStrategy', 'webhook', (o) => {
    o.spec.initContainers = [{ name: 'ss-native-init', image: 'busybox:1.36', restartPolicy: 'Always' }];
  }),
  make('SidecarSet', 'ss.dotted.name', 'metadata.name', 'webhook', () => {}),
  make('SidecarSet', 'ss-canary-rolling', 'metadata.annotations', 'webhook', (o) => {
    o.metadata.annotations = {
      'apps.kruise.io/sidecarset-canary': 'true',
      'apps.kruise.io/sidecarset-base': 'ss-canary-rolling',
    };
  }),
  update(
    'SidecarSet',
    'ss-update-upgrade-type',
    'spec.containers[0].upgradeStrategy.upgradeType',
    (o) => {
      sc(o)[0].upgradeStrategy = { upgradeType: 'HotUpgrade', hotUpgradeEmptyImage: 'busybox:1.36' };
    },
    (o) => {
      sc(o)[0].upgradeStrategy = { upgradeType: 'ColdUpgrade' };
    },
  ),
  update('SidecarSet', 'ss-update-add-container', 'spec.containers[1].name', (o) => {
    sc(o).push({ name: 'ss-update-extra', image: 'busybox:1.36' });
  }),
  {
    ...make('SidecarSet', 'ss-conflict-container', 'spec.containers[0].name', 'webhook', (o) => {
      o.spec.selector = { matchLabels: { app: 'ss-conflict-target' } };
      sc(o)[0].name = 'ss-conflict-shared';
    }),
    existing: [
      (() => {
        const other = validSidecarSet('ss-conflict-existing');
        other.spec.selector = { matchLabels: { app: 'ss-conflict-target' } };
        other.spec.containers[0].name = 'ss-conflict-shared';
        return other;
      })(),
    ],
  },
];

export const INVALID_CASES: readonly InvalidCase[] = [
  ...cloneSetCases,
  ...statefulSetCases,
  ...broadcastJobCases,
  ...sidecarSetCases,
];
