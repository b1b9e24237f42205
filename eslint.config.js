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
