// The Kubernetes manifests in deploy/kubernetes/ must fit the program they run: the
// probes hit paths the real server answers, the ports line up, the ConfigMap is
// mounted where the container's -c points and its routes.yaml validates (and its
// tests pass) with exactly the environment the Secret and the Deployment give.
// Also the package metadata and the Dockerfile's OCI labels, which must agree.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, posix, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { tempDir } from '../helpers/config.js';
import { githubHeaders, spawnServer, type Spawned } from '../helpers/server.js';

const ROOT = resolve(__dirname, '../..');
const K8S = join(ROOT, 'deploy/kubernetes');
const VARIANTS = ['sqlite', 'postgres'] as const;
const PKG = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as Record<string, unknown>;

// The shapes read here, loosely: only what the checks look at.
interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef?: { name: string; key: string } };
}
interface Probe {
  httpGet?: { path: string; port: number | string };
}
interface Container {
  name: string;
  image: string;
  args?: string[];
  command?: string[];
  ports?: { name?: string; containerPort: number }[];
  env?: EnvVar[];
  envFrom?: { secretRef?: { name: string } }[];
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: { readOnlyRootFilesystem?: boolean; allowPrivilegeEscalation?: boolean; runAsNonRoot?: boolean; runAsUser?: number };
  volumeMounts?: { name: string; mountPath: string; subPath?: string; readOnly?: boolean }[];
}
interface Volume {
  name: string;
  configMap?: { name: string };
  persistentVolumeClaim?: { claimName: string };
  emptyDir?: object;
}
interface Deployment {
  spec: {
    replicas: number;
    strategy?: { type: string };
    selector: { matchLabels: Record<string, string> };
    template: {
      metadata: { labels: Record<string, string> };
      spec: { containers: Container[]; volumes?: Volume[]; securityContext?: { runAsNonRoot?: boolean; runAsUser?: number } };
    };
  };
}
interface Service {
  spec: { selector: Record<string, string>; ports: { name?: string; port: number; targetPort: number | string }[] };
}
interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string };
  [key: string]: unknown;
}

interface Variant {
  dir: string;
  files: string[];
  docs: Manifest[];
  one<T>(kind: string): Manifest & T;
  all(kind: string): Manifest[];
  container: Container;
  deployment: Manifest & Deployment;
  /** routes.yaml as the container sees it: the path its -c names, and the ConfigMap's text there. */
  configPath: string;
  configText: string;
  /** The environment the pod gets from the manifests (literal values and the Secret's). */
  env: Record<string, string>;
}

function loadVariant(name: string): Variant {
  const dir = join(K8S, name);
  const files = readdirSync(dir).filter((f) => /\.ya?ml$/.test(f));
  const docs: Manifest[] = [];
  for (const file of files) {
    if (file === 'kustomization.yaml') continue;
    for (const doc of parseAllDocuments(readFileSync(join(dir, file), 'utf8'))) {
      expect(doc.errors, `${name}/${file} parses`).toEqual([]);
      const value = doc.toJS() as Manifest | null;
      if (value) docs.push(value);
    }
  }
  const all = (kind: string) => docs.filter((d) => d.kind === kind);
  const one = <T>(kind: string) => {
    const found = all(kind);
    expect(found, `${name}: one ${kind}`).toHaveLength(1);
    return found[0] as Manifest & T;
  };
  const deployment = one<Deployment>('Deployment');
  const containers = deployment.spec.template.spec.containers;
  expect(containers).toHaveLength(1);
  const container = containers[0]!;

  const secret = one<{ stringData?: Record<string, string>; data?: Record<string, string> }>('Secret');
  const env: Record<string, string> = {};
  for (const from of container.envFrom ?? []) {
    expect(from.secretRef?.name, 'envFrom names the Secret').toBe(secret.metadata.name);
    Object.assign(env, secret.stringData);
  }
  for (const e of container.env ?? []) {
    if (e.value !== undefined) env[e.name] = e.value;
    const ref = e.valueFrom?.secretKeyRef;
    if (ref) {
      expect(ref.name, `${e.name} from the Secret`).toBe(secret.metadata.name);
      expect(secret.stringData, `the Secret holds ${ref.key}`).toHaveProperty(ref.key);
      env[e.name] = secret.stringData![ref.key]!;
    }
  }

  const args = [...(container.command ?? []), ...(container.args ?? [])];
  const c = args.findIndex((a) => a === '-c' || a === '--config');
  const configPath = c >= 0 ? args[c + 1]! : env.SWITCHBOARD_CONFIG!;
  expect(configPath, 'the container names its config file').toMatch(/^\//);
  const mount = (container.volumeMounts ?? []).find((m) => m.mountPath === posix.dirname(configPath));
  expect(mount, `a volume mounted at ${posix.dirname(configPath)}`).toBeDefined();
  expect(mount!.subPath, 'no subPath: a subPath mount never sees ConfigMap updates').toBeUndefined();
  const volume = (deployment.spec.template.spec.volumes ?? []).find((v) => v.name === mount!.name);
  const configMap = one<{ data: Record<string, string> }>('ConfigMap');
  expect(volume?.configMap?.name, 'that volume is the ConfigMap').toBe(configMap.metadata.name);
  const configText = configMap.data[posix.basename(configPath)];
  expect(configText, `the ConfigMap has ${posix.basename(configPath)}`).toBeTypeOf('string');

  return { dir, files, docs, one, all, container, deployment, configPath, configText: configText!, env };
}

/** A probe's or a Service's port, by number or by the container port's name. */
function containerPort(container: Container, port: number | string): number | undefined {
  if (typeof port === 'number') return container.ports?.some((p) => p.containerPort === port) ? port : undefined;
  return container.ports?.find((p) => p.name === port)?.containerPort;
}

function cli(args: string[], cwd: string, env: Record<string, string>) {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin/switchboard.js'), ...args], { cwd, env: { PATH: process.env.PATH ?? '', ...env }, encoding: 'utf8' });
  return { code: r.status, out: (r.stdout + r.stderr).trim() };
}

// Loaded on first use, inside a test, so that a broken manifest fails that test by name.
const loaded = new Map<string, Variant>();
const variant = (name: (typeof VARIANTS)[number]): Variant => {
  if (!loaded.has(name)) loaded.set(name, loadVariant(name));
  return loaded.get(name)!;
};

describe.each(VARIANTS)('deploy/kubernetes/%s', (name) => {
  let v: Variant;
  beforeAll(() => {
    v = variant(name);
  });

  it('the kustomization lists every manifest in its folder, and only those', () => {
    const kustomization = parseAllDocuments(readFileSync(join(v.dir, 'kustomization.yaml'), 'utf8'))[0]!.toJS() as { resources: string[] };
    const manifests = v.files.filter((f) => f !== 'kustomization.yaml').sort();
    expect([...kustomization.resources].sort()).toEqual(manifests);
    expect(
      readdirSync(v.dir).filter((f) => !/\.ya?ml$/.test(f)),
      'nothing else in the folder',
    ).toEqual([]);
  });

  it('every manifest has a kind, an apiVersion and a name', () => {
    for (const d of v.docs) {
      expect(d.apiVersion, JSON.stringify(d.metadata)).toBeTypeOf('string');
      expect(d.kind).toBeTypeOf('string');
      expect(d.metadata?.name).toMatch(/^[a-z0-9-]+$/);
    }
  });

  it('the ConfigMap is mounted where -c points, read-only', () => {
    const mount = v.container.volumeMounts!.find((m) => m.mountPath === posix.dirname(v.configPath))!;
    expect(mount.readOnly).toBe(true);
    expect(v.configPath).toBe('/config/routes.yaml');
  });

  it("the ConfigMap's routes.yaml validates and its tests pass with the environment the manifests give", () => {
    const dir = tempDir('switchboard-k8s-');
    writeFileSync(join(dir, 'routes.yaml'), v.configText);
    // Exactly the pod's environment: a ${NAME} that neither the Secret nor the Deployment sets is an error.
    expect(cli(['validate', '-c', 'routes.yaml'], dir, v.env)).toEqual({ code: 0, out: '✓ routes.yaml is valid: 1 source, 1 target, 1 route, 1 test' });
    const tested = cli(['test', '-c', 'routes.yaml'], dir, v.env);
    expect(tested.out).toContain('1 passed, 0 failed');
    expect(tested.code).toBe(0);
  });

  it('the container port is the PORT env, the probes and the Service target it', () => {
    const port = v.container.ports!.find((p) => p.name === 'http')!.containerPort;
    expect(v.env.PORT).toBe(String(port));
    for (const probe of [v.container.livenessProbe, v.container.readinessProbe]) expect(containerPort(v.container, probe!.httpGet!.port)).toBe(port);
    const service = v.one<Service>('Service');
    expect(service.spec.ports).toHaveLength(1);
    expect(service.spec.ports[0]!.port).toBe(80);
    expect(containerPort(v.container, service.spec.ports[0]!.targetPort)).toBe(port);
    expect(v.deployment.spec.template.metadata.labels).toMatchObject(service.spec.selector);
    expect(v.deployment.spec.template.metadata.labels).toMatchObject(v.deployment.spec.selector.matchLabels);
  });

  it('liveness is /healthz (the process), readiness /readyz (the store)', () => {
    // A liveness probe on the store would restart every pod during a database outage.
    expect(v.container.livenessProbe!.httpGet!.path).toBe('/healthz');
    expect(v.container.readinessProbe!.httpGet!.path).toBe('/readyz');
  });

  it('the Secret holds obviously fake values only, as stringData', () => {
    const secret = v.one<{ stringData: Record<string, string>; data?: unknown }>('Secret');
    expect(secret.data, 'no base64 data: placeholders must be readable').toBeUndefined();
    expect(Object.keys(secret.stringData).length).toBeGreaterThan(0);
    for (const [key, value] of Object.entries(secret.stringData)) expect(value, key).toMatch(/replace-me/);
  });

  it('runs as non-root with a read-only root filesystem, and has resources', () => {
    const pod = v.deployment.spec.template.spec.securityContext!;
    expect(pod.runAsNonRoot).toBe(true);
    // The image's USER is a name (node): the kubelet can check runAsNonRoot only against a number.
    expect(pod.runAsUser).toBe(1000);
    expect(v.container.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false });
    expect(v.container.volumeMounts!.map((m) => m.mountPath)).toContain('/tmp');
    expect(v.container.resources?.requests).toHaveProperty('memory');
    expect(v.container.resources?.limits).toHaveProperty('memory');
    expect(v.container.image).toBe('switchboard:latest');
  });

  it('renders with kubectl kustomize', (ctx) => {
    if (spawnSync('sh', ['-c', 'command -v kubectl']).status !== 0) {
      console.warn('skipped: kubectl is not installed here');
      ctx.skip();
    }
    const r = spawnSync('kubectl', ['kustomize', v.dir], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const rendered = parseAllDocuments(r.stdout).map((d) => (d.toJS() as Manifest).kind);
    expect(rendered.sort()).toEqual(v.docs.map((d) => d.kind).sort());
  });
});

describe('deploy/kubernetes: the variants', () => {
  it('sqlite: one replica, Recreate, the store on the PersistentVolumeClaim', () => {
    const v = variant('sqlite');
    expect(v.deployment.spec.replicas).toBe(1);
    expect(v.deployment.spec.strategy?.type).toBe('Recreate');
    const store = /^sqlite:(\/.+)$/.exec(v.env.SWITCHBOARD_STORE ?? '');
    expect(store, 'SWITCHBOARD_STORE is an absolute sqlite: path').not.toBeNull();
    const mount = v.container.volumeMounts!.find((m) => store![1]!.startsWith(`${m.mountPath}/`));
    const volume = v.deployment.spec.template.spec.volumes!.find((vol) => vol.name === mount?.name);
    expect(volume?.persistentVolumeClaim?.claimName).toBe(v.one('PersistentVolumeClaim').metadata.name);
  });

  it('postgres: several replicas, RollingUpdate, the store from the Secret, no volume claim', () => {
    const v = variant('postgres');
    expect(v.deployment.spec.replicas).toBeGreaterThan(1);
    expect(v.deployment.spec.strategy?.type).toBe('RollingUpdate');
    expect(v.env.SWITCHBOARD_STORE).toMatch(/^postgres:\/\//);
    expect(v.container.env!.find((e) => e.name === 'SWITCHBOARD_STORE')?.valueFrom?.secretKeyRef?.key).toBe('SWITCHBOARD_STORE');
    expect(v.all('PersistentVolumeClaim')).toEqual([]);
    expect(v.deployment.spec.template.spec.volumes!.some((vol) => vol.persistentVolumeClaim)).toBe(false);
    // The README and the manifest must not hide that limits are per process.
    expect(readFileSync(join(v.dir, 'deployment.yaml'), 'utf8')).toMatch(/per process/);
  });

  it('the ConfigMap names the polling fallback the server has (SWITCHBOARD_WATCH_POLL)', () => {
    expect(readFileSync(join(ROOT, 'src/config/watch.ts'), 'utf8')).toContain("'SWITCHBOARD_WATCH_POLL'");
    for (const name of VARIANTS) {
      const text = readFileSync(join(K8S, name, 'configmap.yaml'), 'utf8');
      expect(text).toContain('SWITCHBOARD_WATCH_POLL');
      expect(text).not.toMatch(/planned, not built/);
    }
  });
});

describe('deploy/kubernetes: the probes against the real server', () => {
  let server: Spawned;
  let v: Variant;
  beforeAll(async () => {
    v = variant('sqlite');
    // The pod's environment, except the port (any free one) and the store (a temp dir, not /data).
    const { PORT: _port, SWITCHBOARD_STORE: _store, ...env } = v.env;
    server = await spawnServer(v.configText, env);
  });
  afterAll(async () => {
    server?.proc.kill('SIGTERM');
    await server?.exit;
  });

  it.each(VARIANTS)('%s: liveness and readiness paths answer 200', async (name) => {
    const c = variant(name).container;
    const live = await fetch(server.url + c.livenessProbe!.httpGet!.path);
    expect(live.status).toBe(200);
    expect(await live.json()).toEqual({ status: 'ok' });
    const ready = await fetch(server.url + c.readinessProbe!.httpGet!.path);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ready' });
  });

  it("a webhook signed with the Secret's GitHub secret is accepted at /hooks/github", async () => {
    const body = JSON.stringify({ zen: 'Keep it logically awesome.', hook_id: 1 });
    // A ping matches no route, so nothing is sent to the placeholder Slack URL.
    const res = await fetch(`${server.url}/hooks/github`, { method: 'POST', headers: githubHeaders(body, v.env.GITHUB_WEBHOOK_SECRET!, 'ping', 'k8s-1'), body });
    expect(res.status).toBe(200);
    expect(await res.json()).toHaveProperty('id');
  });
});

describe('package metadata and OCI labels', () => {
  const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
  const runtime = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
  const label = (key: string) => new RegExp(`${key.replace(/\./g, '\\.')}="([^"]*)"`).exec(runtime)?.[1];
  // The repository as a plain https URL (package.json writes it git+https://….git).
  const repoUrl = () =>
    String((PKG.repository as { url?: string } | undefined)?.url ?? '')
      .replace(/^git\+/, '')
      .replace(/\.git$/, '');

  it('package.json names the repository, homepage, bugs and keywords', () => {
    const repo = repoUrl();
    expect(repo).toMatch(/^https:\/\/github\.com\/[\w.-]+\/[\w.-]+$/);
    expect(PKG.homepage).toBe(`${repo}#readme`);
    expect(PKG.bugs).toEqual({ url: `${repo}/issues` });
    expect(PKG.keywords).toEqual(expect.arrayContaining(['webhook', 'router']));
  });

  it("the runtime stage's OCI labels agree with package.json", () => {
    const repo = repoUrl();
    expect(label('org.opencontainers.image.title')).toBe(PKG.name);
    expect(label('org.opencontainers.image.description')).toBe(PKG.description);
    expect(label('org.opencontainers.image.source')).toBe(repo);
    expect(label('org.opencontainers.image.licenses')).toBe(PKG.license);
    expect(label('org.opencontainers.image.version')).toBe('${VERSION}');
    expect(/^ARG VERSION=(\S+)$/m.exec(runtime)?.[1], 'ARG VERSION defaults to package.json version').toBe(PKG.version);
  });

  it("the README's kubectl commands name folders that exist", () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const dirs = [...readme.matchAll(/kubectl apply -k (\S+)/g)].map((m) => m[1]!);
    expect(dirs.length).toBeGreaterThan(0);
    for (const d of dirs) expect(existsSync(join(ROOT, d, 'kustomization.yaml')), d).toBe(true);
  });
});
