// Known values: the first three are OpenKruise's own (pkg/control/sidecarcontrol/hash_test.go); the rest
// were computed by OpenKruise's hash functions (hash.go) over its Go types with k8s.io/api v0.32.10, the
// version OpenKruise v1.9 builds with, from exactly these JSON specs.
import type { SidecarSetSpec } from '../../apis/sidecarset';
import { SidecarSetHashAnnotation, SidecarSetHashWithoutImageAnnotation } from '../../apis/well-known';
import { goJsonSidecarContainer } from './go-json';
import { hashesOf, sidecarSetHash, sidecarSetHashWithoutImage, stampSidecarSetHashes } from './hash';

const cases: { name: string; spec: unknown; hash: string; withoutImage: string }[] = [
  {
    name: 'kruise: containers',
    spec: { containers: [{ name: 'container1', image: 'test-image' }] },
    hash: 'w26c4x8fz245642fdv499b464248f974xddx4x55z5dw55bc6x66464fxz77dc78',
    withoutImage: '8wzddb4dvv9c6x8zdc77z4z75987424f457dfv6724ddw6zbdx467wz5x24fc759',
  },
  {
    name: 'kruise: plain initContainers are not hashed',
    spec: {
      containers: [{ name: 'container1', image: 'test-image' }],
      initContainers: [{ name: 'container1', image: 'test-image' }],
    },
    hash: 'w26c4x8fz245642fdv499b464248f974xddx4x55z5dw55bc6x66464fxz77dc78',
    withoutImage: '8wzddb4dvv9c6x8zdc77z4z75987424f457dfv6724ddw6zbdx467wz5x24fc759',
  },
  {
    name: 'kruise: native sidecar initContainers are hashed',
    spec: {
      containers: [{ name: 'container1', image: 'test-image' }],
      initContainers: [{ name: 'container1', image: 'test-image', restartPolicy: 'Always' }],
    },
    hash: '4xwx4d4844vd4v9x79wb4xbxf4xb29475cc4446v8cz2c2f2f5c5bw448vd42z8w',
    withoutImage: '5725fw8bwbx249bw57v5892c847dzf48bww9zb7c86xb95264fdz26654847b2c8',
  },
  {
    name: 'no containers at all',
    spec: { initContainers: [{ name: 'init', image: 'busybox' }] },
    hash: 'x5vwx9w6vv4dv72c9w4c2f6v74fbwx545b45bbfz6z2dvf8w887xw86fvcb4cf48',
    withoutImage: 'x5vwx9w6vv4dv72c9w4c2f6v74fbwx545b45bbfz6z2dvf8w887xw86fvcb4cf48',
  },
  {
    name: 'envoy proxy, defaulted',
    spec: {
      containers: [
        {
          name: 'istio-proxy',
          image: 'docker.io/istio/proxyv2:1.22.0',
          args: ['proxy', 'sidecar', '--log_output_level=default:info', '--concurrency', '2'],
          ports: [
            { containerPort: 15090, name: 'http-envoy-prom', protocol: 'TCP' },
            { containerPort: 15021, name: 'health', protocol: 'TCP' },
          ],
          env: [
            { name: 'POD_NAME', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.name' } } },
            { name: 'ISTIO_META_MESH_ID', value: 'cluster.local' },
            { name: 'PROXY_CONFIG', value: '{"holdApplicationUntilProxyStarts":true} <a & b>' },
            { name: 'CPU_LIMIT', valueFrom: { resourceFieldRef: { resource: 'limits.cpu' } } },
            { name: 'EMPTY', value: '' },
          ],
          resources: {
            requests: { cpu: '0.1', memory: '128974848' },
            limits: { cpu: '2000m', memory: '1024Mi' },
          },
          readinessProbe: {
            httpGet: { path: '/healthz/ready', port: 15021, scheme: 'HTTP' },
            initialDelaySeconds: 1,
            periodSeconds: 2,
            timeoutSeconds: 3,
            successThreshold: 1,
            failureThreshold: 30,
          },
          lifecycle: { postStart: { exec: { command: ['pilot-agent', 'wait'] } } },
          securityContext: {
            allowPrivilegeEscalation: false,
            capabilities: { drop: ['ALL'] },
            privileged: false,
            readOnlyRootFilesystem: true,
            runAsGroup: 1337,
            runAsNonRoot: true,
            runAsUser: 1337,
          },
          volumeMounts: [
            { name: 'istio-envoy', mountPath: '/etc/istio/proxy' },
            { name: 'istio-data', mountPath: '/var/lib/istio/data', readOnly: false },
          ],
          terminationMessagePath: '/dev/termination-log',
          terminationMessagePolicy: 'File',
          imagePullPolicy: 'IfNotPresent',
          podInjectPolicy: 'BeforeAppContainer',
          upgradeStrategy: { upgradeType: 'ColdUpgrade' },
          shareVolumePolicy: { type: 'disabled' },
          transferEnv: [
            { sourceContainerName: 'app', envName: 'TZ' },
            {
              sourceContainerNameFrom: {
                fieldRef: { apiVersion: 'v1', fieldPath: "metadata.labels['app.kubernetes.io/main']" },
              },
              envNames: ['LANG', 'LC_ALL'],
            },
          ],
        },
      ],
    },
    hash: 'v94bc49x4z9d74zf25v6x64wx72f8bbz4df7z4w69w7dfb88c44wz59xz7z5z269',
    withoutImage: 'cfdd429b4c79bb8z447v74fxf5bd24cc297wf5bb5xxdw8vfc7vvzw498zdz7b72',
  },
  {
    name: 'native envoy and iptables init',
    spec: {
      initContainers: [
        {
          name: 'istio-init',
          image: 'docker.io/istio/proxyv2:1.22.0',
          args: [
            'istio-iptables',
            '-p',
            '15001',
            '-z',
            '15006',
            '-u',
            '1337',
            '-m',
            'REDIRECT',
            '-i',
            '*',
            '-b',
            '*',
            '-d',
            '15090,15021,15020',
          ],
          securityContext: {
            capabilities: { add: ['NET_ADMIN', 'NET_RAW'], drop: ['ALL'] },
            privileged: false,
            runAsUser: 0,
            runAsGroup: 0,
            runAsNonRoot: false,
          },
          resources: { requests: { cpu: '10m', memory: '40Mi' } },
          podInjectPolicy: 'AfterAppContainer',
        },
        {
          name: 'istio-proxy',
          image: 'docker.io/istio/proxyv2:1.22.0',
          restartPolicy: 'Always',
          startupProbe: {
            httpGet: { path: '/healthz/ready', port: 'health' },
            periodSeconds: 1,
            failureThreshold: 600,
          },
          podInjectPolicy: 'AfterAppContainer',
          upgradeStrategy: { upgradeType: 'ColdUpgrade' },
          shareVolumePolicy: { type: 'disabled' },
        },
      ],
      containers: [],
    },
    hash: '9b469z8c56666w9c7dv4f222wzd22xwwx7dzd4cf5554vbdxzv64vx45w74w52b7',
    withoutImage: '64c5888dfc2dd945d7xfv6b874wz72878dz8db7542b57b75df5bb4xv659565bc',
  },
  {
    name: 'hot upgrade, grpc probe, tcp port name, resize policy, empty args',
    spec: {
      containers: [
        {
          name: 'mesh',
          image: 'mesh:v1',
          args: [],
          command: ['/mesh'],
          stdin: true,
          tty: false,
          workingDir: '/work',
          resizePolicy: [{ resourceName: 'cpu', restartPolicy: 'NotRequired' }],
          livenessProbe: { grpc: { port: 9000 } },
          readinessProbe: { tcpSocket: { port: 'http' } },
          lifecycle: { preStop: { sleep: { seconds: 5 } } },
          envFrom: [
            { configMapRef: { name: 'mesh-env' }, prefix: 'MESH_' },
            { secretRef: { name: 'mesh-secret', optional: true } },
          ],
          volumeDevices: [{ name: 'raw', devicePath: '/dev/xvda' }],
          upgradeStrategy: { upgradeType: 'HotUpgrade', hotUpgradeEmptyImage: 'empty:1.0' },
          shareVolumeDevicePolicy: { type: 'enabled' },
          resourcesPolicy: {
            targetContainersMode: 'sum',
            targetContainersNameRegex: '.*',
            resourcesExpr: { limits: { cpu: 'cpu*50%' }, requests: { memory: 'max(memory*10%, 50Mi)' } },
          },
        },
      ],
    },
    hash: 'fxv4z7w844z97d4b4xbzdvxx5ww99bc725dcvz8f7d767dw54xf8b742ww2zz572',
    withoutImage: 'xxd42v79cf9x9d8dx2xw4zvb9fw92vd778x9b877fwd6z67f798vw6fbwd8fx9b5',
  },
  {
    name: 'fields OpenKruise v1.9 does not know are dropped',
    spec: {
      containers: [
        {
          name: 'c',
          image: 'i',
          lifecycle: { stopSignal: 'SIGTERM', preStop: { exec: { command: ['sh'] } } },
          restartPolicyRules: [{ action: 'Restart' }],
          madeUp: 1,
        },
      ],
    },
    hash: 'd5bdv56884dcdw2cvxv2w496c629d24f92x4zc4b89782fv5d8626ffw8ddd46wb',
    withoutImage: 'cf746bv9f6824d6w64d9d45c85w7dxwvvxd92dx5fc5fz5vx457vdw28cz6cc7v2',
  },
  {
    name: 'same without the unknown fields',
    spec: { containers: [{ name: 'c', image: 'i', lifecycle: { preStop: { exec: { command: ['sh'] } } } }] },
    hash: 'd5bdv56884dcdw2cvxv2w496c629d24f92x4zc4b89782fv5d8626ffw8ddd46wb',
    withoutImage: 'cf746bv9f6824d6w64d9d45c85w7dxwvvxd92dx5fc5fz5vx457vdw28cz6cc7v2',
  },
  {
    name: 'quantities in every form',
    spec: {
      containers: [
        {
          name: 'q',
          image: 'q',
          resources: {
            requests: {
              cpu: '1.5',
              memory: '1.5Gi',
              'nvidia.com/gpu': '1',
              'ephemeral-storage': '1000Mi',
              'example.com/a': '0.5Ki',
              'example.com/b': '1e3',
              'example.com/c': '100000000000000000000',
              'example.com/d': '0.0000000001',
              'example.com/e': '+1',
              'example.com/f': '0.1Gi',
            },
            limits: { cpu: 1, memory: 1073741824, 'example.com/g': 0.5 },
          },
          env: [
            {
              name: 'MEM',
              valueFrom: {
                resourceFieldRef: { containerName: 'q', resource: 'limits.memory', divisor: '1Mi' },
              },
            },
          ],
        },
      ],
    },
    hash: 'zd9d47z9dd4b7dv22wbv9v7zcxwcbx5x7d8vbw2b294wc4zd5589cx57x2dxzbwv',
    withoutImage: 'vf2wwfv878f6b2z5454z7264428fw924fx45b488fd4d4xvfd5c5z4wz679v2bfz',
  },
  {
    name: 'security context extras',
    spec: {
      containers: [
        {
          name: 's',
          image: 's',
          securityContext: {
            seLinuxOptions: { level: 's0:c123,c456' },
            windowsOptions: { runAsUserName: 'ContainerUser', hostProcess: false },
            procMount: 'Default',
            seccompProfile: { type: 'RuntimeDefault' },
            appArmorProfile: { type: 'Localhost', localhostProfile: 'k8s-apparmor' },
          },
          volumeMounts: [
            {
              name: 'v',
              mountPath: '/v',
              subPathExpr: '$(POD_NAME)/logs',
              mountPropagation: 'HostToContainer',
              recursiveReadOnly: 'Disabled',
              readOnly: true,
            },
          ],
          ports: [{ containerPort: 53, protocol: 'UDP', hostPort: 5353, hostIP: '127.0.0.1' }],
          env: [
            { name: 'K', valueFrom: { configMapKeyRef: { name: 'cm', key: 'k', optional: false } } },
            { name: 'S', valueFrom: { secretKeyRef: { name: 'sec', key: 's' } } },
          ],
        },
      ],
    },
    hash: '7fwbcb54f476w8vdzbczffd66cb2d6644wc54d25fc8v66wf2f557bv7dzcf5vc2',
    withoutImage: '87556fc6z4x424d4bx572cv26cd84w4xzv884z9xc4dvx6v7z7x74d4xfczf4zc2',
  },
];

describe('SidecarSet hashes equal OpenKruise v1.9', () => {
  it.each(cases)('$name', ({ spec, hash, withoutImage }) => {
    expect(sidecarSetHash(spec as SidecarSetSpec)).toBe(hash);
    expect(sidecarSetHashWithoutImage(spec as SidecarSetSpec)).toBe(withoutImage);
  });

  it('writes a container field for field as Go json.Marshal does', () => {
    const envoy = (cases.find((c) => c.name === 'envoy proxy, defaulted')!.spec as SidecarSetSpec)
      .containers!;
    expect(`{"containers":[${goJsonSidecarContainer(envoy[0])}]}`).toBe(
      '{"containers":[{"name":"istio-proxy","image":"docker.io/istio/proxyv2:1.22.0","args":["proxy","sidecar","--log_output_level=default:info","--concurrency","2"],"ports":[{"name":"http-envoy-prom","containerPort":15090,"protocol":"TCP"},{"name":"health","containerPort":15021,"protocol":"TCP"}],"env":[{"name":"POD_NAME","valueFrom":{"fieldRef":{"apiVersion":"v1","fieldPath":"metadata.name"}}},{"name":"ISTIO_META_MESH_ID","value":"cluster.local"},{"name":"PROXY_CONFIG","value":"{\\"holdApplicationUntilProxyStarts\\":true} \\u003ca \\u0026 b\\u003e"},{"name":"CPU_LIMIT","valueFrom":{"resourceFieldRef":{"resource":"limits.cpu","divisor":"0"}}},{"name":"EMPTY"}],"resources":{"limits":{"cpu":"2","memory":"1Gi"},"requests":{"cpu":"100m","memory":"128974848"}},"volumeMounts":[{"name":"istio-envoy","mountPath":"/etc/istio/proxy"},{"name":"istio-data","mountPath":"/var/lib/istio/data"}],"readinessProbe":{"httpGet":{"path":"/healthz/ready","port":15021,"scheme":"HTTP"},"initialDelaySeconds":1,"timeoutSeconds":3,"periodSeconds":2,"successThreshold":1,"failureThreshold":30},"lifecycle":{"postStart":{"exec":{"command":["pilot-agent","wait"]}}},"terminationMessagePath":"/dev/termination-log","terminationMessagePolicy":"File","imagePullPolicy":"IfNotPresent","securityContext":{"capabilities":{"drop":["ALL"]},"privileged":false,"runAsUser":1337,"runAsGroup":1337,"runAsNonRoot":true,"readOnlyRootFilesystem":true,"allowPrivilegeEscalation":false},"podInjectPolicy":"BeforeAppContainer","upgradeStrategy":{"upgradeType":"ColdUpgrade"},"shareVolumePolicy":{"type":"disabled"},"transferEnv":[{"sourceContainerName":"app","envName":"TZ"},{"sourceContainerNameFrom":{"fieldRef":{"apiVersion":"v1","fieldPath":"metadata.labels[\'app.kubernetes.io/main\']"}},"envNames":["LANG","LC_ALL"]}]}]}',
    );
  });

  it('changes with the image, but not the hash without image', () => {
    const spec = { containers: [{ name: 'c', image: 'a:1' }] };
    const next = { containers: [{ name: 'c', image: 'a:2' }] };
    expect(sidecarSetHash(next)).not.toBe(sidecarSetHash(spec));
    expect(sidecarSetHashWithoutImage(next)).toBe(sidecarSetHashWithoutImage(spec));
  });

  it('stamps both annotations, keeping the others, and hashesOf prefers them', () => {
    const ss = {
      metadata: { name: 's', annotations: { keep: 'me' } },
      spec: cases[0]!.spec as SidecarSetSpec,
    };
    stampSidecarSetHashes(ss);
    expect(ss.metadata.annotations).toEqual({
      keep: 'me',
      [SidecarSetHashAnnotation]: cases[0]!.hash,
      [SidecarSetHashWithoutImageAnnotation]: cases[0]!.withoutImage,
    });
    expect(hashesOf(ss)).toEqual({ hash: cases[0]!.hash, withoutImage: cases[0]!.withoutImage });
    const stale = { ...ss, metadata: { annotations: { [SidecarSetHashAnnotation]: 'stamped' } } };
    expect(hashesOf(stale)).toEqual({ hash: 'stamped', withoutImage: cases[0]!.withoutImage });
  });

  it('never throws on a badly typed spec (the schema rejects it after defaulting)', () => {
    const bad = { containers: 'nope', initContainers: 7 } as unknown as SidecarSetSpec;
    expect(sidecarSetHash(bad)).toBe(sidecarSetHash({}));
    expect(sidecarSetHashWithoutImage(bad)).toBe(sidecarSetHashWithoutImage({}));
  });
});
