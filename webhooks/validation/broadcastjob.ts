// BroadcastJob rules (OpenKruise pkg/webhook/broadcastjob/validating). Kruise has no update-only rules.
import type { BroadcastJob } from '../../apis/broadcastjob';
import { BroadcastJobControllerUidLabel, BroadcastJobNameLabel } from '../../apis/well-known';
import { nonNegative, positiveIntOrPercent } from './common';
import { type FieldError, invalid } from './field-error';
import { validateObjectMeta, validatePodTemplate } from './pod-template';

/** Kruise validateBroadcastJobName. */
export function jobLikeNameErrors(kindWord: string) {
  return (name: string): string[] => {
    const errs: string[] = [];
    if (!/^[a-zA-Z0-9-]+$/.test(name))
      errs.push(`${kindWord} name must consist of alphanumeric characters or '-'`);
    if (name.length > 63) errs.push('must be no more than 63 characters');
    return errs;
  };
}

export function validateBroadcastJob(job: BroadcastJob): FieldError[] {
  const spec = job.spec!;
  const errs = validateObjectMeta(job.metadata, jobLikeNameErrors('BroadcastJob'));
  const completion = spec.completionPolicy;
  if (completion?.type === 'Never') {
    if (completion.ttlSecondsAfterFinished !== undefined) {
      errs.push(
        invalid(
          'spec.completionPolicy.ttlSecondsAfterFinished',
          completion.ttlSecondsAfterFinished,
          'must not be set unless completionPolicy.type is Always',
        ),
      );
    }
    if (completion.activeDeadlineSeconds !== undefined) {
      errs.push(
        invalid(
          'spec.completionPolicy.activeDeadlineSeconds',
          completion.activeDeadlineSeconds,
          'must not be set unless completionPolicy.type is Always',
        ),
      );
    }
  }
  const restart = spec.template.spec.restartPolicy;
  if (restart !== 'Never' && restart !== 'OnFailure') {
    errs.push(invalid('spec.template.spec.restartPolicy', restart, 'must be Never or OnFailure'));
  }
  const labels = spec.template.metadata?.labels ?? {};
  if (labels[BroadcastJobNameLabel] || labels[BroadcastJobControllerUidLabel]) {
    errs.push(
      invalid(
        'spec.template.metadata.labels',
        labels,
        `must not preset "${BroadcastJobNameLabel}" or "${BroadcastJobControllerUidLabel}"`,
      ),
    );
  }
  errs.push(...validatePodTemplate(spec.template, 'spec.template'));
  // Format checks the controller relies on (Kruise leaves these to fail at reconcile time).
  errs.push(...positiveIntOrPercent(spec.parallelism, 'spec.parallelism'));
  errs.push(...nonNegative(spec.failurePolicy?.restartLimit, 'spec.failurePolicy.restartLimit'));
  return errs;
}
