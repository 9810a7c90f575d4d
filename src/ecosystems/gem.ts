// Ruby gems: installed gem specifications; RubyGems' order; OSV "RubyGems".
import { isGemspecPath } from '../analyzers/language-paths.ts';
import { rubyAnalyzer } from '../analyzers/ruby.ts';
import { compareRubyGems } from '../versions/rubygems.ts';
import { baseNameTest, nameOnly, plainPurl, type LanguageEcosystem } from './ecosystem.ts';

export const gem: LanguageEcosystem<'gem'> = {
  type: 'gem',
  kind: 'language',
  osv: 'RubyGems',
  compare: compareRubyGems,
  feeds: ['RubyGems'],
  metadata: { isPath: isGemspecPath, mayBeFile: baseNameTest(/\.gemspec$/i) },
  purl: (p) => plainPurl('gem', p.name, p.version),
  nameFromPurl: nameOnly,
  analyzers: () => [rubyAnalyzer],
};
