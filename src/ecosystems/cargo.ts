// Rust crates: the dependency list cargo-auditable embeds in executables; SemVer order; OSV "crates.io".
import { rustAuditAnalyzer } from '../analyzers/rust-audit.ts';
import { compareSemver } from '../versions/semver.ts';
import { nameOnly, plainPurl, type LanguageEcosystem } from './ecosystem.ts';

export const cargo: LanguageEcosystem<'cargo'> = {
  type: 'cargo',
  kind: 'language',
  osv: 'crates.io',
  compare: compareSemver,
  feeds: ['crates.io'],
  metadata: null, // read from executables: no metadata file an OS package could own
  purl: (p) => plainPurl('cargo', p.name, p.version),
  nameFromPurl: nameOnly,
  analyzers: () => [rustAuditAnalyzer],
};
