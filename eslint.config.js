// ESLint for the whole monorepo: typescript-eslint's type-checked rules everywhere, React's
// hooks rules in the client, and the import boundaries that keep the layers apart.
import { readdirSync } from 'node:fs';
import { defineConfig } from 'eslint/config';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import reactHooks from 'eslint-plugin-react-hooks';
import { importX, createNodeResolver } from 'eslint-plugin-import-x';
import prettier from 'eslint-config-prettier';
import globals from 'globals';

// One zone per feature folder, read from disk so a new feature is covered the day it lands:
// a feature may not import another feature; the page (outside features/) composes them.
const featuresDir = 'client/src/features';
const features = readdirSync(featuresDir, { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => entry.name);
const featureZones = features.map((feature) => ({
  target: `./${featuresDir}/${feature}`,
  from: `./${featuresDir}`,
  except: [`./${feature}`],
  message: `Features do not import each other: compose ${feature} with others in a page outside ${featuresDir}/.`,
}));

export default defineConfig(
  {
    ignores: ['**/node_modules/', '**/dist/', '**/coverage/', 'docs/', 'bench/results/', 'loadtest-results/', 'soak-results/', '.data/', '**/*.lua'],
  },
  js.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        // Every linted .ts/.tsx file is in the root tsconfig.json, the one `npm run typecheck` uses.
        projectService: true,
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      // tsc's noUnusedParameters already lets a leading underscore mark a parameter an
      // interface requires but this body does not need; ESLint keeps the same convention.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      // An abort passes on the signal's reason as it is, whatever the caller aborted with, as
      // fetch does; and a caught `unknown` is rethrown unchanged. Anything else must be an Error.
      '@typescript-eslint/prefer-promise-reject-errors': ['error', { allowThrowingUnknown: true }],
      // A `let` read by a callback defined before its one assignment (a signal handler set up
      // before the thing it stops exists) cannot become a `const` without a temporal dead zone.
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
    },
  },
  {
    files: ['**/*.js'],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: { globals: globals.node },
  },
  {
    files: ['**/*.test.{ts,tsx}'],
    rules: {
      // Tests poke at untyped replies on purpose: `res.body` from supertest and JSON read back
      // from Redis are `any`, and the assertions themselves are the check on their shape.
      // Source code must still parse such values through the shared zod schemas.
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      // Fakes of async interfaces (fetch, sleep, a sampler's reading) are written
      // `async () => value` so that a throw inside one is a rejection, as in the real thing.
      '@typescript-eslint/require-await': 'off',
    },
  },
  {
    files: ['client/**/*.{ts,tsx}'],
    extends: [reactHooks.configs.flat.recommended],
  },
  {
    plugins: { 'import-x': importX },
    settings: {
      // Sources import each other as `./name.js` (Node's ESM rule); the files are `.ts`/`.tsx`.
      'import-x/resolver-next': [
        createNodeResolver({
          extensions: ['.ts', '.tsx', '.js', '.json'],
          extensionAlias: { '.js': ['.ts', '.tsx', '.js'] },
        }),
      ],
    },
    rules: {
      'import-x/no-restricted-paths': [
        'error',
        {
          zones: [
            ...featureZones,
            { target: './server', from: './worker', message: 'The server does not import the worker: share code through shared/.' },
            { target: './worker', from: './server', message: 'The worker does not import the server: share code through shared/.' },
            {
              target: './shared',
              from: ['./server', './worker', './client', './bench', './test', './scripts'],
              message: 'shared/ imports nothing above it.',
            },
          ],
        },
      ],
    },
  },
  prettier,
);
