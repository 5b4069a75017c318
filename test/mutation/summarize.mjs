// Summarise a Stryker JSON report (mutation-testing-report-schema): per-file and total counts,
// and the surviving / no-coverage mutants, for docs/mutation-report.md.
// Usage: node test/mutation/summarize.mjs reports/mutation-proxy/mutation.json [--survivors]
import { readFileSync } from 'node:fs';

const [file, flag] = process.argv.slice(2);
const report = JSON.parse(readFileSync(file, 'utf8'));
const rows = [];
const survivors = [];
const total = { mutants: 0, killed: 0, timeout: 0, survived: 0, noCoverage: 0, ignored: 0, errors: 0 };
for (const [path, f] of Object.entries(report.files).sort(([a], [b]) => a.localeCompare(b))) {
  const c = { mutants: 0, killed: 0, timeout: 0, survived: 0, noCoverage: 0, ignored: 0, errors: 0 };
  for (const m of f.mutants) {
    c.mutants++;
    if (m.status === 'Killed') c.killed++;
    else if (m.status === 'Timeout') c.timeout++;
    else if (m.status === 'Survived') c.survived++;
    else if (m.status === 'NoCoverage') c.noCoverage++;
    else if (m.status === 'Ignored') c.ignored++;
    else c.errors++;
    if (m.status === 'Survived' || m.status === 'NoCoverage') {
      const line = f.source.split('\n')[m.location.start.line - 1] ?? '';
      survivors.push({ where: `${path.replace(/^src\/[a-z]+\//, '')}:${m.location.start.line}:${m.location.start.column}`, status: m.status, mutator: m.mutatorName, replacement: (m.replacement ?? '').replace(/\s+/g, ' ').slice(0, 70), line: line.trim().slice(0, 110) });
    }
  }
  for (const k of Object.keys(total)) total[k] += c[k];
  rows.push([path, c]);
}
const score = (c) => {
  const valid = c.mutants - c.ignored - c.errors;
  return valid === 0 ? 'n/a' : `${((100 * (c.killed + c.timeout)) / valid).toFixed(2)} %`;
};
console.log('| file | mutants | killed + timeout | survived | no coverage | score |');
console.log('|---|---|---|---|---|---|');
for (const [p, c] of rows) console.log(`| ${p.replace(/^src\/[a-z]+\//, '')} | ${c.mutants - c.ignored} | ${c.killed} + ${c.timeout} | ${c.survived} | ${c.noCoverage} | ${score(c)} |`);
console.log(`| **total** | ${total.mutants - total.ignored} | ${total.killed} + ${total.timeout} | ${total.survived} | ${total.noCoverage} | **${score(total)}** |`);
if (total.ignored || total.errors) console.log(`(ignored ${total.ignored}, errors ${total.errors})`);
if (flag === '--survivors') {
  console.log('\n| where | status | mutant | code |');
  console.log('|---|---|---|---|');
  for (const s of survivors) console.log(`| ${s.where} | ${s.status} | ${s.mutator} → \`${s.replacement.replace(/\|/g, '\\|')}\` | \`${s.line.replace(/\|/g, '\\|')}\` |`);
}
