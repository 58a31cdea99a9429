// Pod annotations our kwok Stages (stages.yaml) read to simulate kubelet time, as Go durations ("2s").

/** Time from binding to Running (sandbox, network, volumes, image pull, start); default none. */
export const POD_START_DELAY_ANNOTATION = 'pod-ready.stage.kwok.x-k8s.io/delay';
/** Time an in-place container restart takes (stop, image pull, start); default 200 ms. */
export const CONTAINER_RESTART_DELAY_ANNOTATION = 'pod-container-image-changed.stage.kwok.x-k8s.io/delay';
/** Run time of a Job or BroadcastJob pod before it succeeds; default none. */
export const POD_COMPLETE_DELAY_ANNOTATION = 'pod-complete.stage.kwok.x-k8s.io/delay';
