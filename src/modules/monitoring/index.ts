export { registerMonitoringRoutes, type MonitoringRouteDeps } from './monitoring.routes.js';
export { createReadiness, type Readiness, type ReadinessReport } from './readiness.js';
export { registerStoreGauges } from './store-gauges.js';
