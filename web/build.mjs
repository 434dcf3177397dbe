// Builds the console into one directory the gateway serves at `/` (ACCORD_GATEWAY_STATIC_DIR):
// index.html plus content-hashed assets, so a browser may cache assets forever and still picks up
// a new build through index.html. Usage: node build.mjs <out-dir>
import { build } from 'esbuild';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
if (!process.argv[2]) {
  console.error('usage: node build.mjs <out-dir>   (scripts/build.sh passes $BUILD_DIR/web)');
  process.exit(2);
}
const out = path.resolve(process.argv[2]);

await rm(out, { recursive: true, force: true });
await mkdir(path.join(out, 'assets'), { recursive: true });

const result = await build({
  entryPoints: [path.join(here, 'src/main.js'), path.join(here, 'src/styles.css')],
  bundle: true,
  minify: true,
  sourcemap: 'linked',
  format: 'esm',
  target: ['chrome110', 'firefox115', 'safari16'],
  outdir: path.join(out, 'assets'),
  entryNames: '[name].[hash]',
  metafile: true,
  logLevel: 'warning',
});

const outputs = Object.entries(result.metafile.outputs);
const asset = (entry) => {
  const found = outputs.find(([, o]) => o.entryPoint === `src/${entry}`);
  if (!found) throw new Error(`no output for ${entry}`);
  return '/' + path.relative(out, path.resolve(found[0])).split(path.sep).join('/');
};
const html = (await readFile(path.join(here, 'index.html'), 'utf8'))
  .replace('%APP_JS%', asset('main.js'))
  .replace('%APP_CSS%', asset('styles.css'));
await writeFile(path.join(out, 'index.html'), html);
console.log(`console built into ${out}`);
