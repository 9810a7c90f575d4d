import { Counter, Gauge, Histogram, Registry } from 'prom-client';

// Prometheus metrics of the service. One registry per process (tests create several apps, so each
// createMetrics() call gets its own registry rather than prom-client's global one).

export interface Metrics {
  registry: Registry;
  webhooksReceived: Counter<'source'>;
  webhooksRefused: Counter<'source' | 'reason'>;
  webhookEvents: Counter<'source' | 'outcome'>;
  jobs: Gauge<'state'>;
  jobsFinished: Counter<'result'>;
  scanDuration: Histogram<'result'>;
  registryErrors: Counter<'registry' | 'kind'>;
  bytesPulled: Counter<'registry'>;
  publications: Gauge<'state'>;
}

export function createMetrics(jobCounts?: () => Promise<Record<string, number>>, outboxDepth?: () => Promise<{ pending: number; failing: number }>): Metrics {
  const registry = new Registry();
  const m: Metrics = {
    registry,
    webhooksReceived: new Counter({ name: 'customs_webhooks_received_total', help: 'Webhook deliveries accepted', labelNames: ['source'], registers: [registry] }),
    webhooksRefused: new Counter({ name: 'customs_webhooks_refused_total', help: 'Webhook deliveries refused', labelNames: ['source', 'reason'], registers: [registry] }),
    webhookEvents: new Counter({ name: 'customs_webhook_events_total', help: 'Events in accepted deliveries by outcome', labelNames: ['source', 'outcome'], registers: [registry] }),
    jobs: new Gauge({
      name: 'customs_jobs', help: 'Jobs in the database per state', labelNames: ['state'], registers: [registry],
      async collect() {
        if (!jobCounts) return;
        for (const [state, n] of Object.entries(await jobCounts())) this.set({ state }, n);
      },
    }),
    jobsFinished: new Counter({ name: 'customs_jobs_finished_total', help: 'Job attempts finished by this process', labelNames: ['result'], registers: [registry] }),
    scanDuration: new Histogram({
      name: 'customs_scan_duration_seconds', help: 'Scan duration', labelNames: ['result'], registers: [registry],
      buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600],
    }),
    registryErrors: new Counter({ name: 'customs_registry_errors_total', help: 'Scan failures caused by a registry', labelNames: ['registry', 'kind'], registers: [registry] }),
    bytesPulled: new Counter({ name: 'customs_bytes_pulled_total', help: 'Compressed layer bytes analysed per registry', labelNames: ['registry'], registers: [registry] }),
    publications: new Gauge({
      name: 'customs_publications', help: 'Verdicts waiting to be published (signed attestations, status tags): pending in all, failing = failed at least once', labelNames: ['state'], registers: [registry],
      async collect() {
        if (!outboxDepth) return;
        const d = await outboxDepth();
        this.set({ state: 'pending' }, d.pending);
        this.set({ state: 'failing' }, d.failing);
      },
    }),
  };
  return m;
}
