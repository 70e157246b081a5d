import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', '.tools/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        URL: 'readonly',
        performance: 'readonly',
        setTimeout: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
        queueMicrotask: 'readonly',
        Buffer: 'readonly',
        TextDecoder: 'readonly',
      },
    },
    rules: {
      // Only the bin entry ends the process; everything else returns an exit code.
      'no-restricted-properties': ['error', { object: 'process', property: 'exit', message: 'return an exit code to main() instead' }],
    },
  },
  { files: ['bin/**'], rules: { 'no-restricted-properties': 'off' } },
);
