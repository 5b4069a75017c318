import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'bench/out/**', 'coverage/**', 'reports/**', '.stryker-tmp*/**', '.fuzz/**', 'native/udp/build/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  // Plain .mjs scripts (bench, CI summary) run on Node: its globals are defined.
  { files: ['**/*.mjs'], languageOptions: { globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', setTimeout: 'readonly', performance: 'readonly' } } },
  // The status page's script runs in the browser (plain JavaScript, no build step).
  {
    files: ['src/admin/page/**/*.js'],
    languageOptions: {
      sourceType: 'script',
      globals: { window: 'readonly', document: 'readonly', fetch: 'readonly', sessionStorage: 'readonly', Node: 'readonly', HTMLElement: 'readonly', HTMLInputElement: 'readonly' },
    },
  },
  {
    rules: {
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-syntax': ['error', { selector: "CallExpression[callee.object.name='process'][callee.property.name='exit']", message: 'Only src/main.ts and src/cli/index.ts may exit.' }],
    },
  },
  // Layering: pure layers import nothing with I/O.
  {
    files: ['src/sip/**', 'src/balance/**', 'src/health/state-machine.ts', 'src/config/schema.ts', 'src/runtime/node-version.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: ['node:dgram', 'node:net', 'node:http', 'ioredis', 'pino', 'prom-client', '**/transport/**', '**/proxy/**', '**/ha/**', '**/metrics/**', '**/log.js'] }],
    },
  },
  { files: ['src/main.ts', 'src/cli/index.ts', 'test/**', 'bench/**', 'scripts/**'], rules: { 'no-restricted-syntax': 'off' } },
);
