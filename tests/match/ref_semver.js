// Reference comparisons with npm's semver for the match engine's tests:
// reads "a<TAB>b" lines, writes -1 / 0 / 1, or E when semver refuses one.
const semver = require('semver');
const lines = require('fs').readFileSync(0, 'utf8').split('\n').filter((l) => l.length);
const out = lines.map((l) => {
  const [a, b] = l.split('\t');
  if (semver.valid(a) === null || semver.valid(b) === null) return 'E';
  return String(semver.compare(a, b));
});
process.stdout.write(out.join('\n') + '\n');
