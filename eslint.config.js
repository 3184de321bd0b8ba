import tseslint from 'typescript-eslint'

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', 'models/**', 'bench/results/**', 'web/dist/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
    },
  },
  // Rooms and doors (DESIGN.md): arrows point one way.
  {
    files: ['core/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            '**/service/**',
            '**/client/**',
            '**/training/**',
            'express',
            'onnxruntime-node',
          ],
        },
      ],
    },
  },
  {
    files: ['onnx/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            '**/service/**',
            '**/client/**',
            '**/training/**',
            '**/cli/**',
            'node-seal',
            'express',
          ],
        },
      ],
    },
  },
  {
    files: ['training/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: ['**/service/http/**', '**/service/pool/**', '**/client/**', 'express'] },
      ],
    },
  },
  {
    files: ['service/compiler/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: ['**/runtime/**', '**/http/**', '**/pool/**', 'node-seal', 'express'] },
      ],
    },
  },
  {
    // The plan and its reference executor: pure data and arithmetic that the compiler's passes and
    // service/runtime's backends both build on; they import nothing else from the compiler.
    files: ['service/compiler/plan/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['**/runtime/**', '**/http/**', '**/pool/**', 'node-seal', 'express'] },
            {
              regex: '^\\.\\./(?!\\.\\./)',
              message: 'compiler/plan/ must not import the compiler passes around it',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['service/runtime/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: ['**/http/**', '**/pool/**', 'express'] }],
    },
  },
  {
    files: ['client/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: ['**/service/**', 'express', 'onnxruntime-node'] },
      ],
    },
  },
)
