// Copies the status page's static files (src/admin/page/) next to the compiled admin module
// (dist/admin/page/), where src/admin/page.ts reads them. Part of `npm run build`: tsc copies no
// non-TypeScript files.
import { cpSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const from = path.join(root, 'src/admin/page');
const to = path.join(root, 'dist/admin/page');
rmSync(to, { recursive: true, force: true });
cpSync(from, to, { recursive: true });
