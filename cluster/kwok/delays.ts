// Pod annotations our kwok Stages (stages.yaml) read to simulate kubelet time, as Go durations ("2s"),
// and failing runs.

/** Time from binding to Running (sandbox, network, volumes, image pull, start); default none. */
export const POD_START_DELAY_ANNOTATION = 'pod-ready.stage.kwok.x-k8s.io/delay';
/** Time an in-place container restart takes (stop, image pull, start); default 200 ms. */
export const CONTAINER_RESTART_DELAY_ANNOTATION = 'pod-container-image-changed.stage.kwok.x-k8s.io/delay';
/**
 * Time a deleted pod's containers take to exit after SIGTERM; the pod is gone then, or at the end of its
 * grace period if that comes first. Default: the whole grace period (a container that ignores SIGTERM).
 */
export const POD_EXIT_DELAY_ANNOTATION = 'pod-delete.stage.kwok.x-k8s.io/delay';
/** Run time of a pod with restartPolicy Never or OnFailure before it ends (each run); default none. */
export const POD_COMPLETE_DELAY_ANNOTATION = 'pod-complete.stage.kwok.x-k8s.io/delay';
/**
 * How many runs of a Never/OnFailure pod fail (exit code 1) before one succeeds, as a number ("3"):
 * Never → the pod fails; OnFailure → the container restarts once per failed run. Default "0".
 */
export const POD_FAILURES_ANNOTATION = 'pod-complete.stage.kwok.x-k8s.io/failures';
/**
 * Comma-separated node names: when set, POD_FAILURES_ANNOTATION applies only to a pod bound to one of them,
 * so a test picks which pod of a shared template fails.
 */
export const POD_FAILING_NODES_ANNOTATION = 'pod-complete.stage.kwok.x-k8s.io/failing-nodes';
