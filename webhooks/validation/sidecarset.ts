// SidecarSet v1alpha1 rules (OpenKruise pkg/webhook/sidecarset/validating). Conflicts with other
// SidecarSets need the cluster's SidecarSets, passed in by the caller.

import { isEmptySelector, selectorsOverlap } from '../../apis/labels';
import type {
  SidecarContainer,
  SidecarSet,
  SidecarSetSpec,
  SidecarSetUpdateStrategy,
} from '../../apis/sidecarset';
import { SidecarSetBaseAnnotation, SidecarSetCanaryAnnotation } from '../../apis/well-known';
import type { LabelSelector } from '../../apis/zod-k8s';
import { deepEqual } from '../../runtime/json';
import { jobLikeNameErrors } from './broadcastjob';
import { positiveIntOrPercent, validatePriorityStrategy, validateScatterStrategy } from './common';
import { type FieldError, index, invalid, required } from './field-error';
import {
  validateAnnotations,
  validateContainerLists,
  validateObjectMeta,
  validateVolumes,
} from './pod-template';
import { validateLabelSelector } from './selectors';
import { validateSidecarContainerFields } from './sidecar-containers';
import { type SidecarSetReferences, validateSidecarSetReferences } from './sidecarset-references';

export interface SidecarSetContext extends SidecarSetReferences {
  /** The SidecarSets already in the cluster (the object itself may be among them). */
  sidecarSets?: readonly SidecarSet[];
}

export function validateSidecarSet(
  ss: SidecarSet,
  old?: SidecarSet,
  ctx: SidecarSetContext = {},
): FieldError[] {
  const errs = validateObjectMeta(ss.metadata, jobLikeNameErrors('sidecarset'));
  if (ss.metadata?.namespace)
    errs.push(
      invalid('metadata.namespace', ss.metadata.namespace, 'must be empty: SidecarSet is cluster-scoped'),
    );
  errs.push(...validateCanary(ss, old, ctx));
  errs.push(...validateSpec(ss.spec!));
  errs.push(...validateSidecarSetReferences(ss, ctx));
  if (old?.spec) errs.push(...validateContainerUpdate(ss.spec?.containers ?? [], old.spec.containers ?? []));
  if (errs.length > 0) return errs;
  return validateConflicts(ss, ctx.sidecarSets ?? []);
}

function validateCanary(ss: SidecarSet, old: SidecarSet | undefined, ctx: SidecarSetContext): FieldError[] {
  const ann = ss.metadata?.annotations ?? {};
  if (ann[SidecarSetCanaryAnnotation] !== 'true') return [];
  const base = ann[SidecarSetBaseAnnotation] ?? '';
  const path = 'metadata.annotations';
  const errs: FieldError[] = [];
  if (base === ss.metadata?.name) errs.push(invalid(path, base, 'base sidecarSet cannot be itself'));
  if (old && old.metadata?.annotations?.[SidecarSetBaseAnnotation] !== base) {
    errs.push(invalid(path, base, `annotations[${SidecarSetBaseAnnotation}] is immutable`));
  }
  if (ctx.sidecarSets) {
    const baseSet = ctx.sidecarSets.find((s) => s.metadata?.name === base);
    if (!baseSet) errs.push(invalid(path, base, `base sidecarSet ${JSON.stringify(base)} not found`));
    else if (baseSet.metadata?.annotations?.[SidecarSetCanaryAnnotation] === 'true') {
      errs.push(invalid(path, base, 'base sidecarSet cannot be canary'));
    }
  }
  if (ss.spec?.updateStrategy?.type !== 'NotUpdate') {
    errs.push(invalid(path, ann, 'RollingUpdate is not supported for canary sidecarSet'));
  }
  return errs;
}

function validateSelector(selector: LabelSelector, path: string): FieldError[] {
  const errs = validateLabelSelector(selector, path);
  if (isEmptySelector(selector))
    errs.push(invalid(path, selector, 'empty selector is not valid for sidecarset'));
  return errs;
}

function validateSpec(spec: SidecarSetSpec): FieldError[] {
  const errs: FieldError[] = [];
  const strategy = spec.updateStrategy ?? {};
  if (
    (spec.initContainers ?? []).some((c) => c.restartPolicy === 'Always') &&
    strategy.type === 'RollingUpdate'
  ) {
    errs.push(
      required(
        'spec.updateStrategy',
        'in-place upgrade of native sidecar initContainers is not supported; use NotUpdate',
      ),
    );
  }
  if (!spec.selector) errs.push(required('spec.selector', 'no selector defined for SidecarSet'));
  else errs.push(...validateSelector(spec.selector, 'spec.selector'));
  if (spec.namespaceSelector)
    errs.push(...validateSelector(spec.namespaceSelector, 'spec.namespaceSelector'));
  const revision = spec.injectionStrategy?.revision;
  if (revision && !revision.revisionName && !revision.customVersion) {
    errs.push(
      invalid(
        'spec.injectionStrategy.revision',
        revision,
        'revisionName and customVersion cannot both be empty',
      ),
    );
  }
  errs.push(...validateUpdateStrategy(strategy));
  errs.push(...validateContainers(spec));
  errs.push(...validatePatchPodMetadata(spec));
  return errs;
}

function validateUpdateStrategy(s: SidecarSetUpdateStrategy): FieldError[] {
  if (s.type !== 'RollingUpdate') return [];
  const p = 'spec.updateStrategy';
  const errs: FieldError[] = [];
  const partitionSet = typeof s.partition === 'string' || (s.partition ?? 0) !== 0;
  if (partitionSet && s.selector) {
    errs.push(invalid(`${p}.partition`, s.partition, 'partition and selector cannot be used together'));
  }
  if (s.selector) errs.push(...validateSelector(s.selector, `${p}.selector`));
  errs.push(...positiveIntOrPercent(s.partition, `${p}.partition`));
  errs.push(...positiveIntOrPercent(s.maxUnavailable, `${p}.maxUnavailable`));
  errs.push(...validatePriorityStrategy(s.priorityStrategy, `${p}.priorityStrategy`));
  errs.push(...validateScatterStrategy(s.scatterStrategy, `${p}.scatterStrategy`));
  return errs;
}

function validateContainers(spec: SidecarSetSpec): FieldError[] {
  const containers = spec.containers ?? [];
  const initContainers = spec.initContainers ?? [];
  if (containers.length === 0 && initContainers.length === 0) {
    return [required('spec.containers', 'no initContainer or container defined for SidecarSet')];
  }
  const vols = validateVolumes(spec.volumes ?? [], 'spec.volumes');
  const errs = [...vols.errs];
  initContainers.forEach((c, i) => {
    errs.push(...validateSidecarContainerFields(c, index('spec.initContainers', i), true));
  });
  containers.forEach((c, i) => {
    errs.push(...validateSidecarContainerFields(c, index('spec.containers', i), false));
  });
  const paths = { containers: 'spec.containers', initContainers: 'spec.initContainers' };
  errs.push(...validateContainerLists(containers, initContainers, paths, vols.sources));
  return errs;
}

function validatePatchPodMetadata(spec: SidecarSetSpec): FieldError[] {
  const errs: FieldError[] = [];
  const keys = new Set<string>();
  (spec.patchPodMetadata ?? []).forEach((patch, i) => {
    const p = index('spec.patchPodMetadata', i);
    const annotations = patch.annotations ?? {};
    if (Object.keys(annotations).length === 0)
      errs.push(required(`${p}.annotations`, 'no annotations defined'));
    errs.push(...validateAnnotations(annotations, `${p}.annotations`));
    if (!patch.patchPolicy)
      errs.push(required(`${p}.patchPolicy`, 'no patchPolicy defined for patchPodMetadata'));
    for (const k of Object.keys(annotations)) {
      if (keys.has(k)) errs.push(invalid(`${p}.annotations`, k, `patch annotation[${k}] already exists`));
      keys.add(k);
    }
  });
  return errs;
}

/** On update: upgradeType is immutable per container, and containers cannot be added. */
function validateContainerUpdate(containers: SidecarContainer[], old: SidecarContainer[]): FieldError[] {
  const errs: FieldError[] = [];
  const oldTypes = new Map(old.map((c) => [c.name, c.upgradeStrategy?.upgradeType]));
  containers.forEach((c, i) => {
    const p = index('spec.containers', i);
    if (!oldTypes.has(c.name)) {
      errs.push(invalid(`${p}.name`, c.name, `container ${c.name} is not found in the existing SidecarSet`));
    } else if (oldTypes.get(c.name) && oldTypes.get(c.name) !== c.upgradeStrategy?.upgradeType) {
      errs.push(invalid(`${p}.upgradeStrategy.upgradeType`, c.upgradeStrategy?.upgradeType, 'is immutable'));
    }
  });
  return errs;
}

/** v1alpha1 `namespace` converts to a namespaceSelector on kubernetes.io/metadata.name. */
function namespaceSelectorOf(spec: SidecarSetSpec | undefined): LabelSelector | undefined {
  if (spec?.namespace) return { matchLabels: { 'kubernetes.io/metadata.name': spec.namespace } };
  return spec?.namespaceSelector;
}

/** validateSidecarConflict: names must not clash with SidecarSets that select overlapping pods. */
function validateConflicts(ss: SidecarSet, others: readonly SidecarSet[]): FieldError[] {
  const spec = ss.spec!;
  const base = ss.metadata?.annotations?.[SidecarSetBaseAnnotation];
  const overlapping = others.filter(
    (o) =>
      o.metadata?.name !== ss.metadata?.name &&
      o.metadata?.name !== base &&
      selectorsOverlap(namespaceSelectorOf(spec), namespaceSelectorOf(o.spec)) &&
      selectorsOverlap(spec.selector, o.spec?.selector),
  );
  const errs: FieldError[] = [];
  for (const other of overlapping) {
    const name = other.metadata?.name;
    const clash = (
      mine: SidecarContainer[] | undefined,
      theirs: SidecarContainer[] | undefined,
      path: string,
    ) =>
      (mine ?? []).forEach((c, i) => {
        if ((theirs ?? []).some((t) => t.name === c.name)) {
          errs.push(
            invalid(
              `${index(path, i)}.name`,
              c.name,
              `container ${c.name} already exists in sidecarset ${name}`,
            ),
          );
        }
      });
    clash(spec.containers, other.spec?.containers, 'spec.containers');
    clash(spec.initContainers, other.spec?.initContainers, 'spec.initContainers');
    (spec.volumes ?? []).forEach((v, i) => {
      const theirs = other.spec?.volumes?.find((t) => t.name === v.name);
      if (theirs && !deepEqual(v, theirs)) {
        errs.push(
          invalid(
            `${index('spec.volumes', i)}.name`,
            v.name,
            `volume ${v.name} is in conflict with sidecarset ${name}`,
          ),
        );
      }
    });
    errs.push(...annotationConflicts(spec, other));
  }
  return errs;
}

function annotationConflicts(spec: SidecarSetSpec, other: SidecarSet): FieldError[] {
  const theirs = new Map<string, string>();
  for (const p of other.spec?.patchPodMetadata ?? []) {
    if (p.patchPolicy === 'Retain') continue;
    for (const k of Object.keys(p.annotations ?? {})) theirs.set(k, p.patchPolicy ?? '');
  }
  const errs: FieldError[] = [];
  (spec.patchPodMetadata ?? []).forEach((p, i) => {
    if (p.patchPolicy === 'Retain') return;
    for (const k of Object.keys(p.annotations ?? {})) {
      const policy = theirs.get(k);
      if (policy !== undefined && (p.patchPolicy === 'Overwrite' || policy === 'Overwrite')) {
        errs.push(
          invalid(
            `${index('spec.patchPodMetadata', i)}.annotations`,
            k,
            `annotation ${k} is in conflict with sidecarset ${other.metadata?.name}`,
          ),
        );
      }
    }
  });
  return errs;
}
