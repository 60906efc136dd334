// Rewrites the generated key table inside docs/configuration.md from the configuration schema.
// Run: node --conditions=source --import tsx scripts/gen-config-doc.ts
import { readFileSync, writeFileSync } from 'node:fs';
import { renderConfigKeyTable } from '../appliance/src/config/reference.js';

const file = new URL('../docs/configuration.md', import.meta.url);
const begin = '<!-- BEGIN GENERATED KEYS -->';
const end = '<!-- END GENERATED KEYS -->';
const doc = readFileSync(file, 'utf8');
const i = doc.indexOf(begin);
const j = doc.indexOf(end);
if (i < 0 || j < i) throw new Error('docs/configuration.md lacks the generated-keys markers');
writeFileSync(file, doc.slice(0, i + begin.length) + '\n' + renderConfigKeyTable() + '\n' + doc.slice(j));
console.log('docs/configuration.md updated');
