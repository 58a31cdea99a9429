// CloneSet v1alpha1 rules (OpenKruise pkg/webhook/cloneset/validating/validation.go).
import type { CloneSet, CloneSetSpec, CloneSetUpdateStrategy } from '../../apis/cloneset';
import type { PersistentVolumeClaim, PodTemplateSpec } from '../../apis/core-types';
import { scaledValue } from '../../apis/intstr';
import { isEmptySelector, selectorMatches } from '../../apis/labels';
import type { InPlaceUpdateStrategy } from '../../apis/pub';
import { MaxInt32 } from '../../apis/well-known';
import type { LabelSelector } from '../../apis/zod-k8s';
import {
  immutableSpecFields,
  inPlaceOnlyTemplateChange,
  nonNegative,
  positiveIntOrPercent,
  validatePriorityStrategy,
  validateScatterStrategy,
} from './common';
import { type FieldError, forbidden, invalid, notSupported } from './field-error';
import {
  dnsSubdomainName,
  validateObjectMeta,
  validatePodTemplate,
  validateTemplateMetadata,
} from './pod-template';
import { validateLabelSelector } from './selectors';

/** Kruise's v1alpha1 webhook accepts only these (OnDelete is a v1beta1 rollout type). */
const UPDATE_TYPES = ['ReCreate', 'InPlaceIfPossible', 'InPlaceOnly'];
const MUTABLE = [
  'replicas',
  'template',
  'scaleStrategy',
  'updateStrategy',
  'minReadySeconds',
  'lifecycle',
  'revisionHistoryLimit',
  'volumeClaimTemplates',
  'progressDeadlineSeconds',
];

/** What the webhook knows about a pod named in scaleStrategy.podsToDelete. */
export interface PodFacts {
  terminating: boolean;
  /** uid of the pod's controller owner, if any. */
  controllerUid?: string;
}

export interface CloneSetContext {
  /** The pods newly named in podsToDelete that exist (a missing name is not found). */
  podsToDelete?: ReadonlyMap<string, PodFacts>;
  /** The request was written in v1beta1, whose updateStrategy.type OnDelete v1alpha1's webhook refuses. */
  writtenAsV1beta1?: boolean;
}

export function validateCloneSet(cs: CloneSet, old?: CloneSet, ctx: CloneSetContext = {}): FieldError[] {
  const spec = cs.spec!;
  const errs = validateObjectMeta(cs.metadata, dnsSubdomainName);
  // OnDelete is a v1beta1 type; an object that already has it may still be edited in v1alpha1.
  const onDelete = ctx.writtenAsV1beta1 === true || old?.spec?.updateStrategy?.type === 'OnDelete';
  errs.push(...validateSpec(spec, onDelete));
  errs.push(...validatePodsToDelete(cs, old, ctx));
  if (old?.spec) {
    errs.push(...immutableSpecFields(spec, old.spec, MUTABLE));
    if (spec.updateStrategy?.type === 'InPlaceOnly') {
      errs.push(
        ...inPlaceOnlyTemplateChange(old.spec.template.spec, spec.template.spec, 'spec.template.spec'),
      );
    }
  }
  return errs;
}

/**
 * Selector and template checks shared with Advanced StatefulSet. `fullPodSpec` = run the pod-spec checks
 * (CloneSet does; upstream StatefulSet validation checks only template labels and annotations).
 */
export function validateSelectorAndTemplate(
  spec: {
    selector: LabelSelector;
    template: PodTemplateSpec;
    volumeClaimTemplates?: PersistentVolumeClaim[];
  },
  kindWord: string,
  fullPodSpec: boolean,
): FieldError[] {
  const errs: FieldError[] = [];
  errs.push(...validateLabelSelector(spec.selector, 'spec.selector'));
  if (isEmptySelector(spec.selector)) {
    errs.push(invalid('spec.selector', spec.selector, `empty selector is invalid for ${kindWord}`));
  } else if (!selectorMatches(spec.selector, spec.template.metadata?.labels)) {
    errs.push(
      invalid(
        'spec.template.metadata.labels',
        spec.template.metadata?.labels,
        '`selector` does not match template `labels`',
      ),
    );
  }
  if (fullPodSpec) {
    const vctNames = (spec.volumeClaimTemplates ?? []).map((p) => p.metadata?.name ?? '');
    errs.push(...validatePodTemplate(spec.template, 'spec.template', vctNames));
  } else {
    errs.push(...validateTemplateMetadata(spec.template, 'spec.template'));
  }
  const podSpec = spec.template.spec;
  if (podSpec.restartPolicy !== undefined && podSpec.restartPolicy !== 'Always') {
    errs.push(notSupported('spec.template.spec.restartPolicy', podSpec.restartPolicy, ['Always']));
  }
  if (podSpec.activeDeadlineSeconds !== undefined) {
    errs.push(
      forbidden(
        'spec.template.spec.activeDeadlineSeconds',
        `activeDeadlineSeconds in ${kindWord} is not supported`,
      ),
    );
  }
  return errs;
}

function validateSpec(spec: CloneSetSpec, onDelete: boolean): FieldError[] {
  const errs = nonNegative(spec.replicas, 'spec.replicas');
  errs.push(...validateSelectorAndTemplate(spec, 'cloneset', true));
  const podsToDelete = spec.scaleStrategy?.podsToDelete ?? [];
  const dups = podsToDelete.filter((p, i) => podsToDelete.indexOf(p) !== i);
  if (dups.length > 0) {
    errs.push(
      invalid(
        'spec.scaleStrategy.podsToDelete',
        podsToDelete,
        `must not contain duplicates: ${dups.join(', ')}`,
      ),
    );
  }
  errs.push(...positiveIntOrPercent(spec.scaleStrategy?.maxUnavailable, 'spec.scaleStrategy.maxUnavailable'));
  errs.push(...validateUpdateStrategy(spec.updateStrategy ?? {}, spec.replicas ?? 1, onDelete));
  errs.push(...nonNegative(spec.minReadySeconds, 'spec.minReadySeconds'));
  errs.push(...nonNegative(spec.revisionHistoryLimit, 'spec.revisionHistoryLimit'));
  const deadline = spec.progressDeadlineSeconds;
  if (deadline !== undefined) {
    errs.push(...nonNegative(deadline, 'spec.progressDeadlineSeconds'));
    if (deadline !== MaxInt32 && deadline <= (spec.minReadySeconds ?? 0)) {
      errs.push(invalid('spec.progressDeadlineSeconds', deadline, 'must be greater than minReadySeconds'));
    }
  }
  return errs;
}

/**
 * Names newly added to podsToDelete must be pods that exist, are not terminating and are controlled by
 * this CloneSet (OpenKruise validateScaleStrategy). Skipped when the caller could not look pods up.
 */
function validatePodsToDelete(cs: CloneSet, old: CloneSet | undefined, ctx: CloneSetContext): FieldError[] {
  const facts = ctx.podsToDelete;
  if (!facts) return [];
  const before = new Set(old?.spec?.scaleStrategy?.podsToDelete ?? []);
  const path = 'spec.scaleStrategy.podsToDelete';
  const errs: FieldError[] = [];
  for (const name of new Set(cs.spec?.scaleStrategy?.podsToDelete ?? [])) {
    if (before.has(name)) continue;
    const pod = facts.get(name);
    if (!pod) errs.push(invalid(path, name, `pod ${name} not found`));
    else if (pod.terminating) errs.push(invalid(path, name, `pod ${name} is already terminating`));
    else if (!pod.controllerUid || pod.controllerUid !== cs.metadata?.uid) {
      errs.push(invalid(path, name, `pod ${name} is not owned by this CloneSet`));
    }
  }
  return errs;
}

/** Resolve an int-or-percent the way the webhook does, turning a parse failure into a field error. */
function scaled(v: number | string | undefined, replicas: number, path: string, errs: FieldError[]): number {
  if (v === undefined) return 0;
  try {
    return scaledValue(v, replicas, true);
  } catch {
    errs.push(invalid(path, v, "must be an integer or a percentage such as '20%'"));
    return 0;
  }
}

function validateUpdateStrategy(
  s: CloneSetUpdateStrategy,
  replicas: number,
  onDelete: boolean,
): FieldError[] {
  const types = onDelete ? [...UPDATE_TYPES, 'OnDelete'] : UPDATE_TYPES;
  const p = 'spec.updateStrategy';
  const errs: FieldError[] = [];
  if (s.type !== undefined && !types.includes(s.type)) errs.push(notSupported(`${p}.type`, s.type, types));
  const partition = scaled(s.partition, replicas, `${p}.partition`, errs);
  errs.push(...nonNegative(partition, `${p}.partition`));
  errs.push(...validatePriorityStrategy(s.priorityStrategy, `${p}.priorityStrategy`));
  errs.push(...validateScatterStrategy(s.scatterStrategy, `${p}.scatterStrategy`));
  const before = errs.length;
  const maxUnavailable = scaled(s.maxUnavailable, replicas, `${p}.maxUnavailable`, errs);
  const maxSurge = scaled(s.maxSurge, replicas, `${p}.maxSurge`, errs);
  if (s.type === 'InPlaceOnly' && maxSurge > 0) {
    errs.push(invalid(`${p}.maxSurge`, s.maxSurge, 'must be 0 with strategy type InPlaceOnly'));
  }
  if (errs.length === before && replicas > 0 && maxUnavailable < 1 && maxSurge < 1) {
    errs.push(
      invalid(
        `${p}.maxUnavailable`,
        s.maxUnavailable,
        'must be at least 1 when maxSurge is less than 1 (both resolve below 1)',
      ),
    );
  }
  errs.push(...validateInPlaceUpdateStrategy(s.inPlaceUpdateStrategy, `${p}.inPlaceUpdateStrategy`));
  return errs;
}

/** v1beta1 inPlaceUpdateStrategy rules; the v1alpha1 type carries the same fields. */
export function validateInPlaceUpdateStrategy(
  s: InPlaceUpdateStrategy | undefined,
  path: string,
): FieldError[] {
  if (!s) return [];
  const errs = nonNegative(s.gracePeriodSeconds, `${path}.gracePeriodSeconds`);
  const par = s.imagePreDownloadParallelism;
  if (typeof par === 'string' && !/^-?\d+$/.test(par)) {
    errs.push(
      invalid(
        `${path}.imagePreDownloadParallelism`,
        par,
        'must be an integer (percentages are not supported)',
      ),
    );
  } else if (par !== undefined && Number(par) < 0) {
    errs.push(invalid(`${path}.imagePreDownloadParallelism`, par, 'must be non-negative'));
  }
  errs.push(...nonNegative(s.imagePreDownloadTimeoutSeconds, `${path}.imagePreDownloadTimeoutSeconds`));
  errs.push(
    ...nonNegative(s.imagePreDownloadMinUpdatedReadyPods, `${path}.imagePreDownloadMinUpdatedReadyPods`),
  );
  return errs;
}
