// Writes the files tally serves from the readable sources beside them:
// assets/widget.js → assets/widget.min.js, assets/solver.js →
// assets/solver.min.js. With --check it writes nothing and fails when a
// served file is not what its source minifies to now.
import { readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { minify } from 'terser';

const assets = join(dirname(fileURLToPath(import.meta.url)), '..');
const check = process.argv.includes('--check');

// Properties are never renamed: the widget reads the portal's data-*
// attributes and the API's JSON by name.
const options = {
  ecma: 2020,
  compress: { passes: 2 },
  mangle: true,
  format: { comments: false },
};

let stale = 0;
for (const name of ['widget', 'solver']) {
  const source = await readFile(join(assets, `${name}.js`), 'utf8');
  const { code } = await minify(source, options);
  const served = join(assets, `${name}.min.js`);
  const wanted = `${code}\n`;
  if (check) {
    const current = await readFile(served, 'utf8').catch(() => '');
    if (current !== wanted) {
      console.error(`assets/${name}.min.js is not built from assets/${name}.js: run scripts/build-assets`);
      stale += 1;
    }
  } else {
    await writeFile(served, wanted);
    console.log(`assets/${name}.min.js: ${wanted.length} bytes`);
  }
}
process.exit(stale ? 1 : 0);
