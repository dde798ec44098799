#!/usr/bin/env node
// Minified browser assets for WEBCALL_ASSETS=built (docs/performance.md: a call start costs ≤ 180 KB gzip).
//
//   node scripts/build-assets.mjs          build into build/web/ (a few seconds)
//   node scripts/build-assets.mjs --check  exit 0 when build/web/ matches its inputs, 1 when missing or stale
//   node scripts/build-assets.mjs --out DIR  build into DIR instead (tests/unit/test_call_start_budget.py)
//
// The output mirrors the URLs the app serves (webcall/pages.py serves build/web/static/… at /static/…),
// so the relative URLs the modules compute from `import.meta.url` stay valid: `../css/itellico-call.css`
// and `./livekit-client.js` from static/js/ resolve the same in both modes.
//   build/web/static/js/<entry>.js (+ .map)   the entry points, bundled, minified and split: shared code
//                                             in static/js/chunk-<hash>.js, at the same depth as the source
//   build/web/static/js/livekit-client.js     livekit-client itself (the pinned npm bundle, minified, only
//                                             the exports static/js/livekit-client.js names): a file of its
//                                             own, imported lazily on hover/click, never inlined in the element
//   build/web/static/css/**.css (+ .map)      every stylesheet, minified
//   build/web/static/widget.js (+ .map)       the widget loader, minified as the classic script it is: not
//                                             bundled, no module wrapper (every host page downloads it)
//   build/web/static/js/i18n/<lang>.js        each catalogue, English too, a file of its own: i18n.js fetches
//                                             the one a page's language needs (a visitor downloads one)
//   <each script and stylesheet>.gz           the same bytes gzip-compressed with zopfli (~3 % fewer than
//                                             gzip -9), which the app sends to browsers that take gzip
//                                             (webcall/pages.py); none where gzip would not make it smaller
// Entry points are the modules that pages and the loaders name, not the modules' internal file list.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const outArg = process.argv.indexOf('--out');
const OUT = outArg > 0 ? resolve(process.argv[outArg + 1]) : join(ROOT, 'build', 'web');
const STAMP = join(OUT, 'inputs.sha256');
const ENTRIES = [
  'static/js/itellico-call.js', // index.html, demo.html: the element
  'static/js/widget-panel.js', // static/widget.js imports it on intent
  'static/js/widget-hints.js', // static/widget.js imports it only with a mistake to name
  'static/js/embed-frame.js', // embed.html
  'static/js/pages/demo.js',
  'static/js/pages/demos.js',
  'static/js/pages/demo-editor.js', // demo_edit.html (the studio's demo editor)
  'static/js/pages/studio.js', // studio_base.html: every studio page (times in the rep's zone)
  'static/js/pages/posted.js', // base.html: a page answering a POST (webcall/history.py)
  'static/js/livekit-client.js', // livekit-loader.js imports it by URL, lazily
  ...walk('static/js/i18n'), // i18n.js imports them lazily
];
const LIVEKIT = 'node_modules/livekit-client/dist/livekit-client.esm.mjs';
// The browser fetches livekit-client from the app's /vendor/ URL; the build takes the same npm file.
const vendorFromNpm = {
  name: 'vendor-from-npm',
  setup(build) {
    build.onResolve({ filter: /\/vendor\/livekit-client\.esm\.mjs$/ }, () => ({ path: join(ROOT, LIVEKIT) }));
  },
};
// The element's markup (static/js/element-markup.js, one template literal) is indented for its readers;
// a browser renders a line break and the spaces after it as one space, so the build keeps the break only.
const compactMarkup = {
  name: 'compact-markup',
  setup(build) {
    build.onLoad({ filter: /[\\/]static[\\/]js[\\/]element-markup\.js$/ }, (args) => ({
      contents: readFileSync(args.path, 'utf8').replace(/\n +</g, '\n<'),
      loader: 'js',
    }));
  },
};
const TARGET = ['es2022'];
// The widget loader, a classic script every host page loads before any click (webcall/embed.py sends
// the build's copy): minified, not bundled, so it stays a plain script for <script src … async|defer>.
const WIDGET_LOADER = 'static/widget.js';
// The browsers the loader's own syntax runs in (its newest is import(), to fetch the panel): the minifier
// must not write what they cannot parse (`?.`, `??`), which the element's es2022 target would allow.
const LOADER_TARGET = ['chrome63', 'edge79', 'firefox67', 'safari11.1'];

/** @param {string} dir @returns {string[]} files under dir, relative to ROOT, sorted */
function walk(dir) {
  const abs = join(ROOT, dir);
  if (!existsSync(abs)) return [];
  return readdirSync(abs, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(ROOT, join(entry.parentPath, entry.name)))
    .sort();
}

/** A hash over everything the output depends on: sources, the lockfile (esbuild, livekit-client), this script. */
function inputsHash() {
  const hash = createHash('sha256');
  const files = [...walk('static/js'), ...walk('static/css'), WIDGET_LOADER, 'package-lock.json', LIVEKIT, 'scripts/build-assets.mjs'];
  for (const file of files) {
    hash.update(file + '\0');
    hash.update(readFileSync(join(ROOT, file)));
    hash.update('\0');
  }
  return hash.digest('hex');
}

function upToDate() {
  return existsSync(STAMP) && readFileSync(STAMP, 'utf8').trim() === inputsHash();
}

async function build() {
  const esbuild = await import('esbuild');
  const started = performance.now();
  rmSync(OUT, { recursive: true, force: true });
  const common = { bundle: true, minify: true, sourcemap: true, target: TARGET, logLevel: 'warning', absWorkingDir: ROOT };
  await esbuild.build({
    ...common,
    entryPoints: ENTRIES,
    outbase: 'static',
    outdir: join(OUT, 'static'),
    format: 'esm',
    splitting: true,
    chunkNames: 'js/chunk-[hash]',
    plugins: [vendorFromNpm, compactMarkup],
  });
  await esbuild.build({
    ...common,
    entryPoints: walk('static/css'),
    outbase: 'static',
    outdir: join(OUT, 'static'),
  });
  await esbuild.build({
    ...common,
    bundle: false, // no format either: esbuild leaves a script without import/export as a script
    entryPoints: [WIDGET_LOADER],
    outbase: 'static',
    outdir: join(OUT, 'static'),
    target: LOADER_TARGET,
    legalComments: 'none', // its opening comment is for readers of static/widget.js (and the source map)
    tsconfigRaw: {}, // tsconfig.json's alwaysStrict would add a "use strict" of the page's scope, not ours
  });
  // Code that resolves URLs from import.meta.url must sit at static/js/ depth, as in the source tree.
  const js = relative(ROOT, join(OUT, 'static', 'js'));
  for (const file of walk(js)) {
    if (file.endsWith('.js') && dirname(file) !== js
        && readFileSync(join(ROOT, file), 'utf8').includes('import.meta.url')) {
      throw new Error(`${file} uses import.meta.url below static/js/: its relative URLs would break`);
    }
  }
  await compress(walk(relative(ROOT, OUT)).filter((f) => /\.(js|css)$/.test(f)));
  writeFileSync(STAMP, inputsHash() + '\n');
  const files = walk(relative(ROOT, OUT)).filter((f) => !/\.(map|gz)$/.test(f) && f !== relative(ROOT, STAMP));
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  const where = relative(ROOT, OUT).startsWith('..') ? OUT : relative(ROOT, OUT);
  console.log(`built ${files.length} files into ${where}/ in ${seconds} s`);
}

/** Write `<file>.gz` next to each file, where it is smaller. Nothing between the app and a browser
 * compresses scripts (docs/deployment.md), and doing it once here beats doing it per request.
 * @param {string[]} files relative to ROOT */
async function compress(files) {
  const zopfli = (await import('@gfx/zopfli')).default;
  for (const file of files) {
    const plain = readFileSync(join(ROOT, file));
    const packed = await zopfli.gzipAsync(plain, {});
    if (packed.length < plain.length) writeFileSync(join(ROOT, file + '.gz'), packed);
  }
}

if (process.argv.includes('--check')) {
  process.exit(upToDate() ? 0 : 1);
} else {
  await build();
}
