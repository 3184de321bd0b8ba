/**
 * Prometheus metrics (prom-client), one Registry per app. Labels carry route templates and problem
 * codes only: never ids, sizes of individual users' data beyond histograms, or values.
 */
import { Counter, Gauge, Histogram, type Registry, collectDefaultMetrics } from 'prom-client'

export interface HttpMetrics {
  requestSeconds: Histogram<'method' | 'route' | 'status'>
  problems: Counter<'code'>
  inferSeconds: Histogram<'model'>
  uploadBytes: Histogram<'kind'>
}

/** Registers the service's metrics (and Node's default ones) on `registry`. */
export function createHttpMetrics(
  registry: Registry,
  queueSize: () => number,
  workerBusySeconds: () => number = () => 0,
  workerCpuSeconds: () => number = () => 0,
): HttpMetrics {
  collectDefaultMetrics({ register: registry })
  new Gauge({
    name: 'privinfer_worker_busy_seconds_total',
    help: 'time the HE worker threads spent on tasks since start, seconds (all workers)',
    registers: [registry],
    collect() {
      this.set(workerBusySeconds())
    },
  })
  new Gauge({
    name: 'privinfer_worker_cpu_seconds_total',
    help: 'CPU time of the HE worker threads on query tasks since start, seconds (all workers)',
    registers: [registry],
    collect() {
      this.set(workerCpuSeconds())
    },
  })
  new Gauge({
    name: 'privinfer_pool_queue_size',
    help: 'HE tasks waiting for a worker thread',
    registers: [registry],
    collect() {
      this.set(queueSize())
    },
  })
  return {
    requestSeconds: new Histogram({
      name: 'privinfer_http_request_duration_seconds',
      help: 'HTTP request duration, seconds',
      labelNames: ['method', 'route', 'status'] as const,
      buckets: [0.005, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30],
      registers: [registry],
    }),
    problems: new Counter({
      name: 'privinfer_problems_total',
      help: 'problem+json responses by code',
      labelNames: ['code'] as const,
      registers: [registry],
    }),
    inferSeconds: new Histogram({
      name: 'privinfer_infer_duration_seconds',
      help: 'encrypted inference time including queueing, seconds',
      labelNames: ['model'] as const,
      buckets: [0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30],
      registers: [registry],
    }),
    uploadBytes: new Histogram({
      name: 'privinfer_upload_bytes',
      help: 'uploaded object sizes, bytes',
      labelNames: ['kind'] as const,
      buckets: [1e4, 1e5, 2.5e5, 5e5, 1e6, 2.5e6, 5e6, 1e7, 2.5e7, 5e7, 1e8],
      registers: [registry],
    }),
  }
}
