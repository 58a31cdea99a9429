// BroadcastJob, apps.kruise.io/v1alpha1 (OpenKruise apis/apps/v1alpha1/broadcastjob_types.go).
import { z } from 'zod';
import { PodTemplateSpec } from './core-types';
import { dateTime, int32, int64, intOrString, kubeObject } from './zod-k8s';

export const CompletionPolicyTypes = ['Always', 'Never'] as const;
export const FailurePolicyTypes = ['FailFast', 'Continue', 'Pause'] as const;
export const BroadcastJobPhases = ['completed', 'running', 'paused', 'failed'] as const;
export type BroadcastJobPhase = (typeof BroadcastJobPhases)[number];
export const JobConditionTypes = ['Complete', 'Failed'] as const;

export const CompletionPolicy = z.object({
  type: z.enum(CompletionPolicyTypes).optional(),
  activeDeadlineSeconds: int64().optional(),
  ttlSecondsAfterFinished: int32().optional(),
});

export const FailurePolicy = z.object({
  type: z.enum(FailurePolicyTypes).optional(),
  restartLimit: int32().optional(),
});

export const BroadcastJobSpec = z.object({
  parallelism: intOrString()
    .optional()
    .describe('Maximum number of pods running at once (or a percentage of desired). Defaults to unlimited.'),
  template: PodTemplateSpec.describe(
    'Pod template run once on every eligible node; restartPolicy Never or OnFailure.',
  ),
  completionPolicy: CompletionPolicy.optional().describe(
    'When the job counts as finished. Defaults to type Always.',
  ),
  paused: z.boolean().optional().describe('Stop creating new pods while true.'),
  failurePolicy: FailurePolicy.optional().describe(
    'What a failed pod does to the job. Defaults to type FailFast.',
  ),
});
export type BroadcastJobSpec = z.infer<typeof BroadcastJobSpec>;

export const JobCondition = z.object({
  type: z.string(),
  status: z.string(),
  lastProbeTime: dateTime().optional(),
  lastTransitionTime: dateTime().optional(),
  reason: z.string().optional(),
  message: z.string().optional(),
});
export type JobCondition = z.infer<typeof JobCondition>;

export const BroadcastJobStatus = z.object({
  conditions: z.array(JobCondition).optional(),
  startTime: dateTime().optional(),
  completionTime: dateTime().optional(),
  active: int32().optional(),
  succeeded: int32().optional(),
  failed: int32().optional(),
  desired: int32().optional(),
  phase: z.string().optional(),
});
export type BroadcastJobStatus = z.infer<typeof BroadcastJobStatus>;

export const BroadcastJob = kubeObject(BroadcastJobSpec, BroadcastJobStatus);
export type BroadcastJob = z.infer<typeof BroadcastJob>;
