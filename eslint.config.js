import js from '@eslint/js';
import pluginVue from 'eslint-plugin-vue';
import globals from 'globals';
import tseslint from 'typescript-eslint';

/** The single-file components of the website (packages/web), the console (packages/admin), the app's UI (packages/app/ui) and the shared ui-core; their types are checked by vue-tsc. */
const WEB_VUE = ['packages/web/**/*.vue', 'packages/admin/**/*.vue', 'packages/ui-core/**/*.vue', 'packages/app/ui/**/*.vue'];

export default tseslint.config(
  { ignores: ['**/node_modules/**', '**/dist/**', 'data/**', '**/*.d.ts'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      eqeqeq: ['error', 'always'],
      'no-console': 'off',
    },
  },
  ...pluginVue.configs['flat/recommended'].map((config) => ({ ...config, files: WEB_VUE })),
  {
    files: WEB_VUE,
    languageOptions: { parserOptions: { parser: tseslint.parser, extraFileExtensions: ['.vue'], sourceType: 'module' } },
    rules: {
      // Whitespace inside inline elements is visible text (a space before a full stop).
      'vue/singleline-html-element-content-newline': 'off',
      'vue/multiline-html-element-content-newline': 'off',
      // Data table cells are slots named `item.<column>`.
      'vue/valid-v-slot': ['error', { allowModifiers: true }],
    },
  },
  { files: ['packages/{web,admin,ui-core,app/ui}/**/*.{ts,vue}'], languageOptions: { globals: { ...globals.browser } } },
);
