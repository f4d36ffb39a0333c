/**
 * `causewayjs/telemetry`: Prometheus metrics of outboxes, journals and sink relays. prom-client is
 * an optional peer dependency, loaded when {@link prometheusMetrics} is first called.
 */
export {
  type CheckpointPosition,
  type MetricsJournal,
  type MetricsOutbox,
  type MetricsRegistry,
  type MetricsRelay,
  type NamedMetricsJournal,
  type NamedMetricsOutbox,
  type PrometheusMetrics,
  type PrometheusMetricsOptions,
  prometheusMetrics,
} from './metrics.js';
