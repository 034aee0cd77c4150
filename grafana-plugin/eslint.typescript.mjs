// Makes typescript-eslint use the plugin's own TypeScript 5.x. npm hoists part of its
// toolchain (ts-api-utils) to the repository root, where `typescript` is TypeScript 7, which
// has no JavaScript API: loaded against it, ESLint crashes before linting anything
// ("Cannot read properties of undefined (reading 'Intrinsic')"). npm offers no way to keep
// one hoisted package from seeing the root's TypeScript, so in the ESLint process every
// `typescript` import resolves from here: one TypeScript (the one `npm run typecheck` uses)
// for the parser, the rules and their helpers. Imported first by eslint.config.mjs.
import { createRequire, registerHooks } from 'node:module';
import { pathToFileURL } from 'node:url';

const require = createRequire(import.meta.url);
const { version } = require('typescript/package.json');
if (!/^5\./.test(version)) {
  throw new Error(
    `grafana-plugin lints with TypeScript 5.x, but "typescript" resolves to ${version} from ${require.resolve('typescript')}; ` +
      'keep typescript 5.x in grafana-plugin/package.json devDependencies and run `npm ci` at the repository root'
  );
}

let resolving = false;
registerHooks({
  resolve(specifier, context, nextResolve) {
    if (!resolving && (specifier === 'typescript' || specifier.startsWith('typescript/'))) {
      // For require() the default resolver searches from the requiring file whatever
      // parentURL says, so the answer is computed from this directory (require.resolve
      // comes back through this hook, hence the flag).
      resolving = true;
      try {
        return { url: pathToFileURL(require.resolve(specifier)).href, format: 'commonjs', shortCircuit: true };
      } finally {
        resolving = false;
      }
    }
    return nextResolve(specifier, context);
  },
});
