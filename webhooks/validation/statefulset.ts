// Advanced StatefulSet v1beta1 rules (OpenKruise pkg/webhook/statefulset/validating).
import type { RollingUpdateStatefulSetStrategy, StatefulSet, StatefulSetSpec } from '../../apis/statefulset';
import { InPlaceUpdateReadyCondition, MaxMinReadySeconds } from '../../apis/well-known';
import type { IntOrString } from '../../apis/zod-k8s';
import { validateInPlaceUpdateStrategy, validateSelectorAndTemplate } from './cloneset';
import {
  immutableSpecFields,
  inPlaceOnlyTemplateChange,
  nonNegative,
  validatePriorityStrategy,
} from './common';
import { type FieldError, invalid, notSupported, required } from './field-error';
import { dns1123LabelErrors, isValidPercent } from './names';
import { validateObjectMeta } from './pod-template';

const MUTABLE = [
  'replicas',
  'ordinals',
  'template',
  'reserveOrdinals',
  'lifecycle',
  'revisionHistoryLimit',
  'persistentVolumeClaimRetentionPolicy',
  'volumeClaimTemplates',
  'volumeClaimUpdateStrategy',
  'updateStrategy',
  'scaleStrategy',
];
const RETENTION = ['Retain', 'Delete'];

export function validateStatefulSet(sts: StatefulSet, old?: StatefulSet): FieldError[] {
  const spec = sts.spec!;
  // apps ValidateStatefulSetName: a DNS label, since pod names and hostnames are built from it.
  const errs = validateObjectMeta(sts.metadata, dns1123LabelErrors);
  errs.push(...validateSpec(spec));
  if (old?.spec) {
    errs.push(...immutableSpecFields(spec, old.spec, MUTABLE));
    if (spec.updateStrategy?.rollingUpdate?.podUpdatePolicy === 'InPlaceOnly') {
      errs.push(
        ...inPlaceOnlyTemplateChange(old.spec.template.spec, spec.template.spec, 'spec.template.spec'),
      );
    }
  }
  return errs;
}

function validateSpec(spec: StatefulSetSpec): FieldError[] {
  const errs: FieldError[] = [];
  if (!spec.podManagementPolicy) errs.push(required('spec.podManagementPolicy'));
  errs.push(...validateReserveOrdinals(spec.reserveOrdinals ?? []));
  if (spec.scaleStrategy?.maxUnavailable !== undefined) {
    errs.push(
      ...validateMaxUnavailable(spec.scaleStrategy.maxUnavailable, spec, 'spec.scaleStrategy.maxUnavailable'),
    );
  }
  errs.push(...validateUpdateStrategy(spec));
  const retention = spec.persistentVolumeClaimRetentionPolicy;
  for (const key of ['whenDeleted', 'whenScaled'] as const) {
    const v = retention?.[key];
    if (retention && !RETENTION.includes(v ?? '')) {
      errs.push(notSupported(`spec.persistentVolumeClaimRetentionPolicy.${key}`, v ?? '', RETENTION));
    }
  }
  errs.push(...nonNegative(spec.replicas, 'spec.replicas'));
  errs.push(...nonNegative(spec.ordinals?.start, 'spec.ordinals.start'));
  errs.push(...nonNegative(spec.revisionHistoryLimit, 'spec.revisionHistoryLimit'));
  errs.push(...validateSelectorAndTemplate(spec, 'statefulset', true));
  return errs;
}

/** Ints ≥ 0 or inclusive ranges "a-b" with a ≤ b. */
function validateReserveOrdinals(ordinals: IntOrString[]): FieldError[] {
  const errs: FieldError[] = [];
  ordinals.forEach((o, i) => {
    const path = `spec.reserveOrdinals[${i}]`;
    if (typeof o === 'number') {
      if (o < 0) errs.push(invalid(path, o, 'must be a non-negative ordinal'));
      return;
    }
    const m = /^(\d+)-(\d+)$/.exec(o);
    if (!m) errs.push(invalid(path, o, "must be an ordinal or a range such as '3-5'"));
    else if (Number(m[1]) > Number(m[2]))
      errs.push(invalid(path, o, 'range start must not be greater than its end'));
  });
  return errs;
}

/** validateMaxUnavailableField: ≥ 1, and anything but the integer 1 needs Parallel. */
function validateMaxUnavailable(v: IntOrString, spec: StatefulSetSpec, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const value =
    typeof v === 'number' ? v : isValidPercent(v) ? Math.ceil(Number(v.slice(0, -1)) / 100) : undefined;
  if (value === undefined) errs.push(invalid(path, v, "must be an integer or a percentage such as '5%'"));
  else if (value < 1) errs.push(invalid(path, v, 'must not be less than 1'));
  if (spec.podManagementPolicy !== 'Parallel' && v !== 1) {
    errs.push(invalid(path, v, 'must be 1 unless podManagementPolicy is Parallel'));
  }
  return errs;
}

function validateUpdateStrategy(spec: StatefulSetSpec): FieldError[] {
  const s = spec.updateStrategy;
  if (!s?.type) return [required('spec.updateStrategy.type')];
  if (s.type === 'OnDelete') {
    return s.rollingUpdate
      ? [
          invalid(
            'spec.updateStrategy.rollingUpdate',
            s.rollingUpdate,
            "only allowed for updateStrategy 'RollingUpdate'",
          ),
        ]
      : [];
  }
  return s.rollingUpdate ? validateRollingUpdate(s.rollingUpdate, spec) : [];
}

function validateRollingUpdate(ru: RollingUpdateStatefulSetStrategy, spec: StatefulSetSpec): FieldError[] {
  const p = 'spec.updateStrategy.rollingUpdate';
  const errs = nonNegative(ru.partition, `${p}.partition`);
  errs.push(...nonNegative(ru.minReadySeconds, `${p}.minReadySeconds`));
  if ((ru.minReadySeconds ?? 0) > MaxMinReadySeconds) {
    errs.push(
      invalid(
        `${p}.minReadySeconds`,
        ru.minReadySeconds,
        `must be no more than ${MaxMinReadySeconds} seconds`,
      ),
    );
  }
  if (ru.maxUnavailable === undefined) errs.push(required(`${p}.maxUnavailable`));
  else errs.push(...validateMaxUnavailable(ru.maxUnavailable, spec, `${p}.maxUnavailable`));
  if (!ru.podUpdatePolicy) errs.push(required(`${p}.podUpdatePolicy`));
  const inPlace = ru.podUpdatePolicy === 'InPlaceIfPossible' || ru.podUpdatePolicy === 'InPlaceOnly';
  const gates = spec.template.spec.readinessGates ?? [];
  if (inPlace && !gates.some((g) => g.conditionType === InPlaceUpdateReadyCondition)) {
    errs.push(
      invalid(
        'spec.template.spec.readinessGates',
        gates,
        `must contain ${InPlaceUpdateReadyCondition} when podUpdatePolicy is ${ru.podUpdatePolicy}`,
      ),
    );
  }
  if (ru.unorderedUpdate) {
    if (spec.podManagementPolicy !== 'Parallel') {
      errs.push(
        required(`${p}.unorderedUpdate`, 'unorderedUpdate can only work with Parallel podManagementPolicy'),
      );
    }
    errs.push(
      ...validatePriorityStrategy(
        ru.unorderedUpdate.priorityStrategy,
        `${p}.unorderedUpdate.priorityStrategy`,
      ),
    );
  }
  errs.push(...validateInPlaceUpdateStrategy(ru.inPlaceUpdateStrategy, `${p}.inPlaceUpdateStrategy`));
  return errs;
}
