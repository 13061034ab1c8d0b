// Loads an npm package from the project's own install (build/npm/, made by
// `make npm` from package.json and package-lock.json) wherever the script
// that asks is: $BIGUPLOAD_NODE_MODULES, else $BIGUPLOAD_BUILD/npm/node_modules
// (the build under test: make test-asan's has its own), else
// <repo>/build/npm/node_modules.
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const nodeModules =
    process.env.BIGUPLOAD_NODE_MODULES
    || path.join(process.env.BIGUPLOAD_BUILD || path.join(repo, 'build'), 'npm', 'node_modules');

const require = createRequire(path.join(nodeModules, 'resolve-from-here.js'));

export async function load(name) {
    return import(pathToFileURL(require.resolve(name)).href);
}
