import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

// Stages are business logic: they see records and stores through the processor API, never Kafka or I/O.
const stageBoundaries = [
  {
    group: ['**/topology/kafka/**', '@platformatic/kafka', 'kafkajs', '@confluentinc/*'],
    message: 'Stages never touch the Kafka client: forward records through the ProcessorContext.',
  },
  {
    group: [
      '**/runtime/streams-runtime*',
      '**/runtime/stream-task*',
      '**/runtime/partition-group*',
      '**/runtime/restore*',
      '**/runtime/in-process-runtime*',
      '**/runtime/lifecycle*',
      '**/runtime/config*',
    ],
    message: 'Stages use the processor API (runtime/processor, record, errors), not the runtime internals.',
  },
  {
    group: ['pg', '**/postgres/**', '**/sinks/**', '**/query-service/**', '**/connectors/**'],
    message: 'Stages do no I/O: the sink, the query service and the connectors sit around the topology, not inside it.',
  },
];

/** Import boundaries: which room may not reach into which. A message says why, so a newcomer knows where to put it instead. */
const boundaries = {
  'processors/**/*.ts': stageBoundaries,
  // The rules are pure functions over plain data.
  'processors/domain/**/*.ts': [
    // (flat config replaces a rule's options per file, so the stages' boundaries are repeated here)
    ...stageBoundaries,
    {
      group: ['**/runtime/**', '**/state/**', '**/topology/**', '../stages/**', '../order-*', '../cancel*', '../inventory*'],
      message: 'Domain rules are pure: no runtime, stores or topology; the stages call them.',
    },
  ],
  // The engine knows nothing of orders.
  'runtime/**/*.ts': [
    {
      group: ['**/processors/**', '**/topology/order-*', '**/topology/topics*', '**/sinks/**', '**/query-service/**', '**/connectors/**'],
      message: 'The runtime is generic: it must not know the order topology or its surroundings.',
    },
  ],
  // Storage engines sit below the runtime.
  'state/**/*.ts': [
    { group: ['**/runtime/**', '**/topology/**', '**/processors/**'], message: 'state/ is below the runtime: it must not import it back.' },
  ],
  // The query service reads Postgres through postgres/, never through the sink's internals.
  'query-service/**/*.ts': [
    { group: ['**/sinks/**'], message: 'The query service reads Postgres through postgres/, not the sink connector.' },
  ],
};

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', '.kafka/', '.state/', '.omnia/', 'coverage/', '.tap/', 'bench/clients/', 'web/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': [
        'error',
        { allowForKnownSafePromises: [{ from: 'package', name: 'PromiseWithSubtest', package: '@tapjs/core' }] },
      ],
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
    },
  },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-constant-condition': ['error', { checkLoops: false }],
    },
  },
  ...Object.entries(boundaries).map(([files, patterns]) => ({
    files: [files],
    rules: { 'no-restricted-imports': ['error', { patterns }] },
  })),
  {
    files: ['**/*.mjs', 'eslint.config.js'],
    languageOptions: { globals: { ...globals.node } },
  },
);
