// The layers of src/ and what each may import, checked by dependency-cruiser in `npm test` and
// `npm run lint` (docs/layout.md, Layers). From the ground up:
//
//   support < telemetry < contract < inbox < forward < dispatch
//                                    inbox < intake
//                         dispatch, intake < inspector < receiver.ts < service/ < partner-mock/
//                                            receiver.ts < index.ts, verify.ts < handlers/ < main
//
// A layer imports only layers below it, never one beside or above it, so no folder imports a
// folder that imports it back. Type-only imports count like any other: a type that a lower layer
// needs lives there (TraceContext in telemetry/), or the lower layer names the shape it reads
// (telemetry/observed.ts) and the higher one meets it. generated/ is the contract's output, and
// any layer may import it.

/** Each layer: the modules it holds, and the layers it may import besides itself. */
const layers = [
  {
    name: 'support',
    path: '^src/support/',
    mayImport: [],
    why: 'the ground (settings reader, availability, signals): imports nothing of src/',
  },
  {
    name: 'telemetry',
    path: '^src/telemetry/',
    mayImport: ['support'],
    why: 'metrics, spans, probes and log lines, which every feature records: it reads the features through shapes of its own (observed.ts), never their modules',
  },
  {
    name: 'contract',
    path: '^src/contract/',
    mayImport: ['support', 'telemetry'],
    why: 'the document, its validators and the event names derived from generated/: knows nothing of how deliveries are kept or handled',
  },
  {
    name: 'inbox',
    path: '^src/inbox/',
    mayImport: ['support', 'telemetry', 'contract'],
    why: 'the store interface, its vocabulary and its backends: knows nothing of who writes to it or reads from it',
  },
  {
    name: 'forward',
    path: '^src/forward/',
    mayImport: ['support', 'telemetry', 'contract', 'inbox'],
    why: 'publishing to NATS JetStream or RabbitMQ, which the dispatcher asks for: never imports the dispatcher',
  },
  {
    name: 'dispatch',
    path: '^src/dispatch/',
    mayImport: ['support', 'telemetry', 'contract', 'inbox', 'forward'],
    why: 'claims, handlers, forwards, retries, dead letters, replay: reads the inbox, never the intake that fills it',
  },
  {
    name: 'intake',
    path: '^src/intake/',
    mayImport: ['support', 'telemetry', 'contract', 'inbox'],
    why: 'HTTP in: checks, signature, validation, the inbox, the answer, and contract drift; the dispatcher and the forwarder run apart',
  },
  {
    name: 'inspector',
    path: '^src/inspector/',
    mayImport: ['support', 'telemetry', 'contract', 'inbox', 'forward', 'dispatch', 'intake'],
    why: 'the page on top of the features (it replays through dispatch/, mounts like intake/): no feature imports it',
  },
  {
    name: 'receiver',
    path: '^src/receiver(-settings)?[.]ts$',
    mayImport: ['support', 'telemetry', 'contract', 'inbox', 'forward', 'dispatch', 'intake', 'inspector'],
    why: 'the one place that composes the features, and its settings: composed by the package and the service, never by a feature',
  },
  {
    name: 'service',
    path: '^src/service/',
    mayImport: ['support', 'telemetry', 'contract', 'inbox', 'forward', 'dispatch', 'intake', 'inspector', 'receiver'],
    why: '`npm start`: the environment, the HTTP server, the logger, the tracing SDK, on top of the receiver; the package never loads it',
  },
  {
    name: 'partner-mock',
    path: '^src/partner-mock/',
    mayImport: ['support', 'telemetry', 'contract', 'inbox', 'forward', 'dispatch', 'intake', 'inspector', 'receiver', 'service'],
    why: "the partner mock's front before Prism, which answers errors as the service's app does: nothing imports it but its command",
  },
  {
    name: 'package',
    path: '^src/(index|verify)[.]ts$',
    mayImport: ['support', 'telemetry', 'contract', 'inbox', 'forward', 'dispatch', 'intake', 'inspector', 'receiver'],
    why: "the package's public API: the library without the service",
  },
  {
    name: 'handlers',
    path: '^src/handlers/',
    mayImport: ['package'],
    why: "the user's handlers see the package as its users do, through index.ts alone",
  },
  {
    name: 'main',
    path: '^src/main[.](ts|js)$',
    mayImport: ['service', 'handlers'],
    why: "the service's entry: the service with the user's handlers",
  },
];

const pathOf = Object.fromEntries(layers.map(({ name, path }) => [name, path]));

/** @type {import('dependency-cruiser').IConfiguration} */
export default {
  forbidden: [
    {
      name: 'no-circular',
      comment:
        'No module imports, through any chain of imports (type-only ones included), a module that imports it back: a cycle has no order to read or load it in.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    ...layers.map(({ name, path, mayImport, why }) => ({
      name: `layer-${name}`,
      comment: `${name}: ${why}. It may import ${mayImport.length ? mayImport.join(', ') : 'nothing else of src/'}.`,
      severity: 'error',
      from: { path },
      to: { path: '^src/', pathNot: [path, ...mayImport.map((layer) => pathOf[layer])] },
    })),
    {
      name: 'layer-everything',
      comment: 'Every module of src/ belongs to a layer above: a new folder or top-level module takes its place in the order here first.',
      severity: 'error',
      from: { path: '^src/', pathNot: layers.map(({ path }) => path) },
      to: {},
    },
    {
      name: 'src-without-tooling',
      comment:
        "src/ imports nothing of scripts/ or test/; but the service's entry (main.js) runs scripts/check-node.js first, the Node check that every npm script runs.",
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^(scripts|test)/', pathNot: '^scripts/check-node[.]js$' },
    },
    {
      name: 'generated-alone',
      comment: 'generated/ is written from the contract alone and imports nothing of src/.',
      severity: 'error',
      from: { path: '^generated/' },
      to: { path: '^src/' },
    },
  ],
  options: {
    // Type-only imports are dependencies too (see above).
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    doNotFollow: { path: 'node_modules' },
  },
};
