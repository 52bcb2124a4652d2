// The README is the front door and the guides in docs/ hold the rest: every guide is linked from the
// README, and every relative link of the Markdown files reaches a file and, with a #fragment, one of
// its headings, so that moving a section cannot leave a link behind.
import { expect } from 'chai';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const projectRoot = fileURLToPath(new URL('../..', import.meta.url));
const guides = readdirSync(join(projectRoot, 'docs'))
  .filter((name) => name.endsWith('.md'))
  .map((name) => join(projectRoot, 'docs', name));
const readme = join(projectRoot, 'README.md');
const markdownFiles = [readme, join(projectRoot, 'BENCHMARKS.md'), ...guides];

/** The lines of a Markdown file outside fenced code blocks. */
function proseLines(file: string): string[] {
  let fenced = false;
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => {
      if (line.startsWith('```')) fenced = !fenced;
      return !fenced && !line.startsWith('```');
    });
}

/**
 * The anchors GitHub gives a file's headings. Its rule, as github-slugger implements it, is two
 * replacements and a counter for repeated headings: written out here rather than taken as a
 * dependency for a test.
 */
function anchorsOf(file: string): Set<string> {
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  for (const line of proseLines(file)) {
    const heading = /^#{1,6} (.+)$/.exec(line)?.[1];
    if (heading === undefined) continue;
    const slug = heading
      .trim()
      .toLowerCase()
      .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
      .replace(/ /g, '-');
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    anchors.add(count === 0 ? slug : `${slug}-${count}`);
  }
  return anchors;
}

/** The relative link targets of a file (images included), without those inside code. */
function relativeLinks(file: string): string[] {
  const text = proseLines(file)
    .join('\n')
    .replace(/`[^`\n]*`/g, '');
  return [...text.matchAll(/\]\(([^)\s]+)\)/g)].map((match) => match[1]!).filter((target) => !/^[a-z]+:/.test(target));
}

describe('the documentation', () => {
  it('keeps the README under 300 lines and links every guide in docs/ from it', () => {
    expect(readFileSync(readme, 'utf8').trimEnd().split('\n').length).to.be.below(300);
    const linked = new Set(relativeLinks(readme).map((target) => join(projectRoot, target.split('#')[0]!)));
    expect(guides.filter((guide) => !linked.has(guide)).map((guide) => relative(projectRoot, guide))).to.deep.equal([]);
  });

  it('has every relative link reach a file, and a heading of it when the link names one', () => {
    const broken = markdownFiles.flatMap((file) =>
      relativeLinks(file).flatMap((target) => {
        const [path, fragment] = target.split('#') as [string, string | undefined];
        const linkedFile = path === '' ? file : join(dirname(file), path);
        const where = `${relative(projectRoot, file)}: ${target}`;
        if (!existsSync(linkedFile)) return [`${where} (no such file)`];
        if (fragment !== undefined && linkedFile.endsWith('.md') && !anchorsOf(linkedFile).has(fragment)) {
          return [`${where} (no such heading)`];
        }
        return [];
      }),
    );
    expect(broken).to.deep.equal([]);
  });
});
