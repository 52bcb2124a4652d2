// The service's tracing: the OpenTelemetry Node SDK, set up when the standard OTEL_* variables ask
// for traces, and not even loaded otherwise. The receiver uses the API alone
// (telemetry/tracing.ts); the SDK reads the details from the environment itself (endpoint,
// headers, sampler, resource, propagators). They are checked here first, because the SDK only
// warns of a value it does not know, and only when OTEL_LOG_LEVEL asks for warnings.
import { createRequire } from 'node:module';
import { Invalid, anyText, oneOf, parseBoolean, type Setting, type SettingsReader } from '../support/settings-reader.ts';

const traceExporters = ['otlp', 'zipkin', 'console', 'none'] as const;
type TraceExporter = (typeof traceExporters)[number];
const otlpProtocols = ['http/protobuf', 'http/json', 'grpc'] as const;
/** The instrumentations the service sets up, by the names OTEL_NODE_DISABLED_INSTRUMENTATIONS takes. */
const instrumentationNames = ['http', 'undici'] as const;
type InstrumentationName = (typeof instrumentationNames)[number];
const samplers = [
  'parentbased_always_on',
  'parentbased_always_off',
  'parentbased_traceidratio',
  'always_on',
  'always_off',
  'traceidratio',
] as const;

/** What the start-up line says of tracing; the SDK reads the rest itself. */
export interface TracingSettings {
  exporters: Exclude<TraceExporter, 'none'>[];
  /** Where OTLP sends, when it is one of the exporters (the SDK's default when no endpoint is set). */
  otlp?: { endpoint: string; protocol: string };
  sampler: string;
  /** The service's name when neither OTEL_SERVICE_NAME nor OTEL_RESOURCE_ATTRIBUTES gives one. */
  defaultServiceName: string | undefined;
  /** `http`: no spans of handlers' node:http calls; `undici`: none of their fetch() calls. */
  disabledInstrumentations: InstrumentationName[];
}

const variable = (name: string): Setting => ({ variable: name, option: name });

function parseExporters(raw: string): TraceExporter[] | Invalid {
  const names = raw.split(',').map((name) => name.trim());
  const known = names.every((name) => (traceExporters as readonly string[]).includes(name));
  if (!known) return new Invalid(`must list exporters among ${traceExporters.join(', ')}, separated by commas`);
  // The SDK would take `none` beside another exporter to mean OTLP.
  if (names.includes('none') && names.length > 1) return new Invalid('must be none alone, or list exporters without none');
  return names as TraceExporter[];
}

function parseInstrumentations(raw: string): InstrumentationName[] | Invalid {
  const names = raw.split(',').map((name) => name.trim());
  const known = names.every((name) => (instrumentationNames as readonly string[]).includes(name));
  return known ? (names as InstrumentationName[]) : new Invalid(`must list instrumentations among ${instrumentationNames.join(', ')}`);
}

function parseEndpoint(raw: string): string | Invalid {
  return /^https?:\/\/[^/\s]+/.test(raw) ? raw : new Invalid('must be an http:// or https:// URL of the collector');
}

function parseRatio(raw: string): number | Invalid {
  const ratio = Number(raw);
  return /^\d*\.?\d+$/.test(raw) && ratio <= 1 ? ratio : new Invalid('must be the share of traces kept, from 0 to 1');
}

/**
 * Traces are on when OTEL_TRACES_EXPORTER names an exporter, or when it is unset and an OTLP
 * endpoint is given (OTLP being the standard's default exporter); OTEL_SDK_DISABLED=true turns
 * them off. Undefined when off.
 */
export function readTracing(reader: SettingsReader): TracingSettings | undefined {
  const disabled = reader.read(variable('OTEL_SDK_DISABLED'), false, parseBoolean, 'true');
  const exporters = reader.read(variable('OTEL_TRACES_EXPORTER'), undefined, parseExporters, 'otlp');
  const endpoint =
    reader.read(variable('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'), undefined, parseEndpoint, 'http://127.0.0.1:4318/v1/traces') ??
    reader.read(variable('OTEL_EXPORTER_OTLP_ENDPOINT'), undefined, parseEndpoint, 'http://127.0.0.1:4318');
  const protocol =
    reader.read(variable('OTEL_EXPORTER_OTLP_TRACES_PROTOCOL'), undefined, oneOf(otlpProtocols), 'http/json') ??
    reader.read(variable('OTEL_EXPORTER_OTLP_PROTOCOL'), 'http/protobuf', oneOf(otlpProtocols), 'http/json');
  const sampler = reader.read(variable('OTEL_TRACES_SAMPLER'), 'parentbased_always_on', oneOf(samplers), 'parentbased_traceidratio');
  const ratio = reader.read(variable('OTEL_TRACES_SAMPLER_ARG'), undefined, parseRatio, '0.1');
  const serviceName = reader.read(variable('OTEL_SERVICE_NAME'), undefined, anyText, 'ada-webhooks');
  const resource = reader.read(
    variable('OTEL_RESOURCE_ATTRIBUTES'),
    '',
    anyText,
    'service.name=ada-webhooks,deployment.environment.name=production',
  );
  const disabledInstrumentations = reader.read(variable('OTEL_NODE_DISABLED_INSTRUMENTATIONS'), [], parseInstrumentations, 'http');
  const enabled = !disabled && (exporters === undefined ? endpoint !== undefined : exporters[0] !== 'none');
  if (!enabled) return undefined;
  const chosen = (exporters ?? ['otlp']).filter((name) => name !== 'none');
  return {
    exporters: chosen,
    otlp: chosen.includes('otlp') ? { endpoint: endpoint ?? defaultEndpoint(protocol), protocol } : undefined,
    sampler: sampler.endsWith('traceidratio') ? `${sampler} ${ratio ?? 1}` : sampler,
    defaultServiceName: serviceName === undefined && !/(^|,)\s*service\.name=/.test(resource) ? 'ada-webhooks' : undefined,
    disabledInstrumentations,
  };
}

const defaultEndpoint = (protocol: string) => (protocol === 'grpc' ? 'http://localhost:4317' : 'http://localhost:4318');

/**
 * Starts the SDK: traces only (the metrics are Prometheus text at /metrics), the service named
 * `ada-webhooks` unless OTEL_SERVICE_NAME or OTEL_RESOURCE_ATTRIBUTES name it, and the spans of
 * handlers' outgoing HTTP and fetch() calls, unless OTEL_NODE_DISABLED_INSTRUMENTATIONS leaves them
 * out. Returns the function that flushes and stops it.
 *
 * No incoming request has a span of the HTTP instrumentation: it would take the request's
 * `traceparent` for its parent before the receiver sees the request, so an unsigned request would
 * choose the trace id and the sampling of its delivery's trace (the instrumentation has no option
 * to ignore incoming context but to ignore the request). The receive span is each delivery's root
 * instead (telemetry/tracing.ts); probes, scrapes and the inspector are not traced.
 */
export async function startTracing(settings: TracingSettings): Promise<() => Promise<void>> {
  const [{ NodeSDK }, { HttpInstrumentation }, { UndiciInstrumentation }] = await Promise.all([
    import('@opentelemetry/sdk-node'),
    import('@opentelemetry/instrumentation-http'),
    import('@opentelemetry/instrumentation-undici'),
  ]).catch((error: unknown) => {
    if ((error as NodeJS.ErrnoException).code !== 'ERR_MODULE_NOT_FOUND') throw error;
    // The SDK is a development dependency, so that apps that install the library do not get it.
    throw new Error(
      'The OTEL_* variables ask for traces, but the OpenTelemetry SDK is not installed (npm ci --omit=dev leaves it out): install with npm ci, without --omit=dev, to trace',
    );
  });
  const enabled = (name: InstrumentationName) => !settings.disabledInstrumentations.includes(name);
  const sdk = new NodeSDK({
    serviceName: settings.defaultServiceName,
    metricReaders: [],
    logRecordProcessors: [],
    instrumentations: [
      enabled('http') && new HttpInstrumentation({ disableIncomingRequestInstrumentation: true }),
      enabled('undici') && new UndiciInstrumentation(),
    ].filter((instrumentation) => instrumentation !== false),
  });
  sdk.start();
  // The HTTP instrumentation patches node:http when it is required; the service imports it as an
  // ES module, which no hook sees, and shares the same module object: requiring it once here
  // applies the patch to the calls that handlers make through it.
  createRequire(import.meta.url)('node:http');
  return () => sdk.shutdown();
}
