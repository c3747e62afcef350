import js from '@eslint/js';
import globals from 'globals';
import reactHooks from 'eslint-plugin-react-hooks';
import tseslint from 'typescript-eslint';

// The app's feature folders (src/app/<feature>), each what a user sees.
const features = ['generate', 'try', 'accuracy', 'compare', 'history', 'settings', 'cache'];

export default tseslint.config(
  {
    ignores: [
      'dist',
      'dist-e2e',
      'dist-e2e-next',
      'node_modules',
      'coverage',
      'test-results',
      'playwright-report',
      'models/demo',
      '.fixtures',
      // Written by npm run bench (the first-adapter benchmark's production build among it).
      '.bench',
      '.scratch',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.browser, ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['src/app/**/*.{ts,tsx}'],
    plugins: { 'react-hooks': reactHooks },
    rules: reactHooks.configs.recommended.rules,
  },
  {
    // The app's layout (docs/app.md, "Layout"): shared/ and the workers serve every feature, so
    // they import no feature folder (features import them, and each other where a view embeds
    // another's panel), from shared/'s sub-folders (charts, llm, outputs, storage) neither.
    files: ['src/app/shared/**/*.{ts,tsx}', 'src/app/worker/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: [
                'generate',
                'try',
                'accuracy',
                'compare',
                'history',
                'settings',
                'cache',
                'shell',
              ].flatMap((f) => [`../${f}/*`, `../../${f}/*`]),
              message: 'src/app/shared and src/app/worker import no feature folder.',
            },
          ],
        },
      ],
    },
  },
  // The features (docs/app.md, "Layout"): a feature's functions and stores (kebab-case .ts) import
  // only shared/, the workers' protocol types and the core, never another feature (nor the shell,
  // which sits above them); its views (.tsx) may also embed another feature's panel, a PascalCase
  // component file, and nothing else of it. So the features form no circle of functions.
  ...features.flatMap((feature) => {
    const others = [...features, 'shell'].filter((f) => f !== feature);
    const rule = (views) => ({
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: others.flatMap((f) => [`../${f}/*`, ...(views ? [`!../${f}/[A-Z]*`] : [])]),
              caseSensitive: true,
              message: views
                ? `A view of src/app/${feature} imports of another feature only its panel components (PascalCase.tsx); what several features use belongs in src/app/shared.`
                : `src/app/${feature}'s functions and stores import no other feature (nor the shell); move what several features use to src/app/shared, or pass it in.`,
            },
          ],
        },
      ],
    });
    return [
      { files: [`src/app/${feature}/**/*.ts`], rules: rule(false) },
      { files: [`src/app/${feature}/**/*.tsx`], rules: rule(true) },
    ];
  }),
  {
    // The core runs in the browser worker, the CLI and the server alike: no Node-only imports.
    files: ['src/core/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['node:*'], message: 'src/core must stay free of Node-only modules.' },
            {
              group: ['fs', 'path', 'os', 'child_process', 'onnxruntime-node'],
              message: 'src/core must stay free of Node-only modules.',
            },
          ],
        },
      ],
    },
  },
);
